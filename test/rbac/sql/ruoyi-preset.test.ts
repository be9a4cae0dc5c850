// The RuoYi preset on RuoYi's real RBAC tables and seed rows (test/fixtures/sql/ruoyi-pg.sql, PostgreSQL), through
// real gateways and a real upstream: who may do what follows RuoYi's own rules (active users and roles, normal menus,
// comma-separated perms, user 1 as super-admin); the subject is bound, never spliced; a permission revoked in SQL is
// refused on two instances by the NOTIFY; a notification that never came is caught by the version check.
import t, { type Test } from 'tap';
import { ruoyi } from '../../../src/rbac/sql/presets/ruoyi.js';
import { startGateway, type GatewayUnderTest } from '../../helpers/gateway-under-test.js';
import { startRecordingUpstream } from '../../helpers/recording-upstream.js';
import { createDatabase, sqlFixture, type SqlDatabase } from '../../helpers/sql-database.js';
import { statusAs, timeUntil as timeUntilAs } from '../../helpers/sql-gateways.js';
import { checkRoleReads, databaseFor } from '../../helpers/sql-preset-policy.js';
import { hsAuth } from '../../helpers/tokens.js';

const FIXTURE = sqlFixture('ruoyi-pg.sql');

function yaml(upstreamUrl: string, changes = '{ notify: permgate_rbac, check: 200ms }'): string {
  return `${hsAuth()}
rbac:
  syncInterval: 200ms
  source:
    sql:
      url: \${RBAC_DATABASE_URL}
      preset: ruoyi
      changes: ${changes}
upstreams:
  svc: { url: "${upstreamUrl}" }
routes:
  - { path: /system/user/list, upstream: svc, permission: system:user:list }
  - { path: /biz/order/list, upstream: svc, permission: biz:order:list }
  - { path: /biz/order/audit, upstream: svc, methods: [POST], permission: biz:order:audit }
  - { path: /biz/order/approve, upstream: svc, methods: [POST], permission: biz:order:approve }
  - { path: /biz/member/list, upstream: svc, permission: biz:member:list }
  - { path: /biz/report/list, upstream: svc, permission: biz:report:list }
  - { path: /biz/report/export, upstream: svc, permission: biz:report:export }
`;
}

/** The fixture in a database of its own with the preset's triggers, and `count` gateways on it. */
async function setUp(t: Test, count: number, changes?: string): Promise<{ db: SqlDatabase; gateways: GatewayUnderTest[] }> {
  const db = await createDatabase('postgres', FIXTURE);
  t.teardown(() => db.drop());
  await db.query(ruoyi.triggers('postgres', 'permgate_rbac'));
  const upstream = await startRecordingUpstream();
  const gateways: GatewayUnderTest[] = [];
  t.teardown(async () => {
    for (const gw of gateways) await gw.close();
    await upstream.close();
  });
  for (let i = 0; i < count; i++) gateways.push(await startGateway(yaml(upstream.url, changes), { RBAC_DATABASE_URL: db.url }));
  return { db, gateways };
}

const status = (gw: GatewayUnderTest, method: string, path: string, sub: string): Promise<number> => statusAs(gw, sub, method, path);
const timeUntil = (gw: GatewayUnderTest, sub: string, path: string, expected: number, deadlineMs: number): Promise<number> =>
  timeUntilAs(gw, sub, 'GET', path, expected, deadlineMs);

t.test("RuoYi's users are authorized by RuoYi's own rules", async (t) => {
  const { gateways: [gw] } = await setUp(t, 1);
  const cases: [string, string, string, number, string][] = [
    ['li_lei', 'GET', '/system/user/list', 200, 'hr holds the user menu'],
    ['li_lei', 'GET', '/biz/member/list', 200, 'hr holds the member menu'],
    ['li_lei', 'GET', '/biz/order/list', 403, 'hr does not hold orders'],
    ['han_meimei', 'GET', '/biz/order/list', 200, 'sales holds orders'],
    ['han_meimei', 'POST', '/biz/order/audit', 200, "the first code of 'biz:order:audit,biz:order:approve'"],
    ['han_meimei', 'POST', '/biz/order/approve', 200, 'and the second'],
    ['han_meimei', 'GET', '/system/user/list', 403, 'sales does not hold system menus'],
    ['wu_ming', 'GET', '/biz/report/list', 200, 'finance holds the report menu'],
    ['wu_ming', 'GET', '/biz/report/export', 403, 'a disabled button (status 1) grants nothing'],
    ['wang_wu', 'GET', '/biz/order/list', 403, 'bound only to a deleted role (del_flag 2)'],
    ['zhao_liu', 'GET', '/system/user/list', 403, 'bound only to a disabled role (status 1)'],
    ['sun_qi', 'GET', '/system/user/list', 403, 'a disabled user holds nothing'],
    ['qian_ba', 'GET', '/system/user/list', 403, 'a deleted user holds nothing'],
    ['admin', 'GET', '/biz/report/export', 200, 'user 1 is the super-admin: *'],
    ['admin', 'POST', '/biz/order/approve', 200, 'user 1 is the super-admin: *'],
    ['nobody', 'GET', '/biz/order/list', 403, 'a subject SQL does not know'],
    ["x' OR '1'='1", 'GET', '/biz/order/list', 403, 'a subject written as SQL is a value, not SQL'],
    ["admin' --", 'GET', '/biz/order/list', 403, 'a subject that would comment out the rest of a spliced query'],
  ];
  for (const [sub, method, path, expected, why] of cases) t.equal(await status(gw!, method, path, sub), expected, `${sub} ${method} ${path}: ${why}`);
});

t.test("one role's rows read alone (roleGrantsOf) are its rows in the full read", async (t) => {
  const db = await databaseFor(t, 'postgres', FIXTURE);
  await checkRoleReads(t, db, ruoyi, 'postgres');
});

/**
 * The bound asserted is the notification's, not the version check's: the check runs once a minute here, so only the
 * NOTIFY can have carried the change. Measured here: 5-50 ms from the commit to the refusal on both for a subject change,
 * 30-60 ms for a role change (it reads the roles named; 110-130 ms when it read every role), on a loaded machine; the assertion allows 1 s because the test machine is shared (2 cores, often a load of 10 and more).
 */
const BOUND = 1_000;

t.test('a permission revoked in SQL is refused on two instances by the NOTIFY alone', async (t) => {
  const { db, gateways: [a, b] } = await setUp(t, 2, '{ notify: permgate_rbac, check: 1m }');
  for (const gw of [a!, b!]) t.equal(await status(gw, 'GET', '/biz/order/list', 'han_meimei'), 200, 'han_meimei compiled and cached on both');
  const queries = async (gw: GatewayUnderTest, query: string): Promise<number> => {
    const line = new RegExp(`permgate_rbac_sql_queries_total\\{query="${query}",outcome="ok"\\} (\\d+)`).exec(await gw.gateway.metrics.registry.metrics());
    return Number(line?.[1] ?? 0);
  };
  const fullReads = await Promise.all([a!, b!].map((gw) => queries(gw, 'roleGrants')));
  // A menu's perms changed: the trigger announces the roles that hold it.
  await db.query("UPDATE sys_menu SET status = '1' WHERE perms = 'biz:order:list'");
  const [onA, onB] = await Promise.all([timeUntil(a!, 'han_meimei', '/biz/order/list', 403, 2_000), timeUntil(b!, 'han_meimei', '/biz/order/list', 403, 2_000)]);
  t.ok(onA < BOUND && onB < BOUND, `menu disabled: refused on a after ${onA.toFixed(1)} ms, on b after ${onB.toFixed(1)} ms`);
  for (const gw of [a!, b!]) {
    t.equal(await queries(gw, 'roleGrants'), fullReads[[a, b].indexOf(gw)], 'no roleGrants since start: the role change did not read every role');
    t.ok((await queries(gw, 'roleGrantsOf')) >= 1, 'it read the roles the notification named, one by one (roleGrantsOf)');
  }
  // A binding deleted: the trigger announces the subject.
  for (const gw of [a!, b!]) t.equal(await status(gw, 'GET', '/system/user/list', 'li_lei'), 200);
  await db.query("DELETE FROM sys_user_role WHERE user_id = (SELECT user_id FROM sys_user WHERE user_name = 'li_lei')");
  const [bindA, bindB] = await Promise.all([timeUntil(a!, 'li_lei', '/system/user/list', 403, 2_000), timeUntil(b!, 'li_lei', '/system/user/list', 403, 2_000)]);
  t.ok(bindA < BOUND && bindB < BOUND, `binding deleted: refused on a after ${bindA.toFixed(1)} ms, on b after ${bindB.toFixed(1)} ms`);
  // A user disabled.
  for (const gw of [a!, b!]) t.equal(await status(gw, 'GET', '/biz/report/list', 'wu_ming'), 200);
  await db.query("UPDATE sys_user SET status = '1' WHERE user_name = 'wu_ming'");
  const [userA, userB] = await Promise.all([timeUntil(a!, 'wu_ming', '/biz/report/list', 403, 2_000), timeUntil(b!, 'wu_ming', '/biz/report/list', 403, 2_000)]);
  t.ok(userA < BOUND && userB < BOUND, `user disabled: refused on a after ${userA.toFixed(1)} ms, on b after ${userB.toFixed(1)} ms`);
  // And a grant comes the same way: a role bound again.
  await db.query("INSERT INTO sys_user_role (user_id, role_id) SELECT user_id, 101 FROM sys_user WHERE user_name = 'li_lei'");
  const granted = await timeUntil(b!, 'li_lei', '/system/user/list', 200, 2_000);
  t.ok(granted < BOUND, `a binding inserted is in force on b after ${granted.toFixed(1)} ms`);
  for (const gw of [a!, b!]) t.notMatch(await gw.gateway.metrics.registry.metrics(), /permgate_rbac_resyncs_total\{reason="version check"\} [1-9]/, 'no change needed the version check');
});

t.test('a change whose notification never came is caught by the version check', async (t) => {
  const { db, gateways: [gw] } = await setUp(t, 1);
  t.equal(await status(gw!, 'GET', '/biz/order/list', 'han_meimei'), 200);
  // Behind the triggers' back (as if the NOTIFY were lost): the version moves, nothing is announced.
  await db.query(`ALTER TABLE sys_role_menu DISABLE TRIGGER USER;
    DELETE FROM sys_role_menu WHERE role_id = 100;
    ALTER TABLE sys_role_menu ENABLE TRIGGER USER;
    UPDATE permgate_rbac_version SET version = version + 1 WHERE id = 1;`);
  const caught = await timeUntil(gw!, 'han_meimei', '/biz/order/list', 403, 3_000);
  t.ok(caught < 1_000, `caught after ${caught.toFixed(0)} ms (checks every 200 ms; a version no notification brought is missed at the second look)`);
  t.match(await gw!.gateway.metrics.registry.metrics(), /permgate_rbac_resyncs_total\{reason="version check"\} [1-9]/);
  t.match(await gw!.gateway.metrics.registry.metrics(), /permgate_rbac_sql_queries_total\{query="subjectRoles",outcome="ok"\} [1-9]/);
  t.match(await gw!.gateway.metrics.registry.metrics(), /permgate_rbac_source_up\{source="sql"\} 1/);
});
