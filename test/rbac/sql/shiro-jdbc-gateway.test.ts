// The shiro-jdbc preset on JdbcRealm's tables with realistic data (test/fixtures/sql/shiro-jdbc-*.sql, MariaDB), through
// real gateways and a real upstream: wildcard permissions cover what Shiro implies below them, lists and `*` parts
// hold, a deleted user's left-over roles count for nothing; with the triggers `permgate sql triggers --preset
// shiro-jdbc --dialect mysql` prints installed as printed, and the counter they bump polled (the mode neither other
// gateway test covers), a permission rewritten or a membership deleted in SQL is refused on two instances within one
// poll interval.
import t, { type Test } from 'tap';
import { COUNTER_QUERY } from '../../../src/rbac/sql/presets/version-query.js';
import type { GatewayUnderTest } from '../../helpers/gateway-under-test.js';
import { sqlFixture, type SqlDatabase } from '../../helpers/sql-database.js';
import { sqlGateways, statusAs, timeUntil } from '../../helpers/sql-gateways.js';
import { runCli } from '../../helpers/spawn-cli.js';
import { hsAuth } from '../../helpers/tokens.js';

const PG_FIXTURE = sqlFixture('shiro-jdbc-pg.sql');
/** The MariaDB tables, then the rows of the PostgreSQL fixture (portable SQL after its `-- rows:` line). */
const FIXTURE = sqlFixture('shiro-jdbc-mariadb.sql') + PG_FIXTURE.slice(PG_FIXTURE.indexOf('\n-- rows:'));
const POLL_MS = 200;

function yaml(upstreamUrl: string): string {
  return `${hsAuth()}
rbac:
  syncInterval: 200ms
  source:
    sql:
      url: \${RBAC_DATABASE_URL}
      preset: shiro-jdbc
      changes: { poll: ${POLL_MS}ms, version: "${COUNTER_QUERY}" }
upstreams:
  svc: { url: "${upstreamUrl}" }
routes:
  - { path: "/printers/:printer", upstream: svc, methods: [GET], permission: "printer:query:{printer}" }
  - { path: "/printers/:printer/print", upstream: svc, methods: [POST], permission: "printer:print:{printer}" }
  - { path: "/printers/:printer/manage", upstream: svc, methods: [POST], permission: "printer:manage:{printer}" }
  - { path: /orders, upstream: svc, permission: { GET: order:read, POST: order:create } }
  - { path: /customers, upstream: svc, permission: { GET: customer:read, DELETE: customer:delete } }
  - { path: /tickets, upstream: svc, permission: { GET: ticket:read, DELETE: ticket:delete } }
  - { path: "/invoices/:year", upstream: svc, methods: [GET], permission: "invoice:read:{year}" }
  - { path: /reports/export, upstream: svc, methods: [GET], permission: report:export }
  - { path: /catalog, upstream: svc, methods: [GET], permission: catalog:view }
  - { path: /newsletter, upstream: svc, methods: [POST], permission: newsletter:send }
  - { path: "/profiles/:name/edit", upstream: svc, methods: [POST], permission: "profile:edit:{name}" }
`;
}

/** The trigger SQL as an operator gets it: printed by the built CLI. */
async function printedTriggers(t: Test): Promise<string> {
  const run = await runCli(['sql', 'triggers', '--preset', 'shiro-jdbc', '--dialect', 'mysql']);
  t.equal(run.code, 0, `permgate sql triggers exits 0 ${run.stderr}`);
  t.match(run.stdout, COUNTER_QUERY, 'and names the version query to poll');
  return run.stdout;
}

/**
 * Rows beyond the fixture's: a permission string that is permgate syntax but a literal to Shiro (`{subject}` is no
 * placeholder there), and a binding that spells its role in another case than roles_permissions does.
 */
const MORE_ROWS = `INSERT INTO roles_permissions (role_name, permission) VALUES ('guest', 'profile:edit:{subject}');
INSERT INTO user_roles (username, role_name) VALUES ('hank', 'GUEST');`;

async function setUp(t: Test, count: number): Promise<{ db: SqlDatabase; gateways: GatewayUnderTest[] }> {
  return sqlGateways(t, 'mysql', FIXTURE + MORE_ROWS, yaml, count, await printedTriggers(t));
}

t.test("JdbcRealm's users are authorized by Shiro's wildcard permissions", async (t) => {
  const { gateways: [gw] } = await setUp(t, 1);
  const cases: [string, string, string, number, string][] = [
    ['alice', 'POST', '/printers/lp7200/print', 200, 'printer-user: printer:print covers every printer below it, as in Shiro'],
    ['alice', 'GET', '/printers/lp7200', 403, 'but not printer:query'],
    ['bob', 'POST', '/printers/lp7200/print', 200, 'lp7200-printer: printer:print:lp7200'],
    ['bob', 'POST', '/printers/epsoncolor/print', 403, 'that printer only'],
    ['dave', 'POST', '/printers/epsoncolor/manage', 200, 'printer-operator: printer:manage:lp7200,epsoncolor (a list part)'],
    ['dave', 'POST', '/printers/hp/manage', 403, 'a printer not in the list'],
    ['carol', 'DELETE', '/customers', 200, 'admin: *'],
    ['erin', 'GET', '/orders', 200, 'auditor: *:read covers order:read'],
    ['erin', 'POST', '/orders', 403, 'and nothing that is not a read'],
    ['frank', 'DELETE', '/customers', 200, 'sales: customer:*'],
    ['frank', 'GET', '/tickets', 200, 'and support: two roles'],
    ['frank', 'DELETE', '/tickets', 403, 'support holds ticket:read,update only'],
    ['ivy', 'GET', '/invoices/2026', 200, 'finance: invoice:*:2026'],
    ['ivy', 'GET', '/invoices/2025', 403, 'another year'],
    ['kim', 'GET', '/reports/export', 200, 'Report:Export, lowercased as Shiro compares it'],
    ['leo', 'GET', '/catalog', 200, "guest; legacy-api's unmappable permissions take nothing away"],
    ['leo', 'POST', '/newsletter', 403, "'newsletter:send, preview' holds a space inside: no check in Shiro ever meets it"],
    ['leo', 'POST', '/profiles/leo/edit', 403, "guest's profile:edit:{subject} is a literal to Shiro, never the holder's own name"],
    ['hank', 'GET', '/catalog', 200, "bound to GUEST: JdbcRealm's `WHERE role_name = ?` finds guest's permissions on MariaDB"],
    ['zoe', 'GET', '/catalog', 403, 'roles left behind by a user deleted from users count for nothing (she was admin)'],
    ['mona', 'GET', '/catalog', 403, 'a user without roles'],
    ['nobody', 'GET', '/catalog', 403, 'a user the database does not know'],
    ['ALICE', 'POST', '/printers/lp7200/print', 200, "usernames compare by the database's collation, as JdbcRealm's own query does on MariaDB"],
    ["alice' OR '1'='1", 'POST', '/printers/lp7200/print', 403, 'the subject is bound, never spliced'],
  ];
  for (const [sub, method, path, expected, why] of cases) t.equal(await statusAs(gw!, sub, method, path), expected, `${sub} ${method} ${path}: ${why}`);
});

t.test('a permission rewritten, a membership and a user deleted in SQL are refused on two instances within a poll interval', async (t) => {
  const { db, gateways: [a, b] } = await setUp(t, 2);
  for (const gw of [a!, b!]) {
    t.equal(await statusAs(gw, 'alice', 'POST', '/printers/lp7200/print'), 200, 'compiled and cached on both');
    t.equal(await statusAs(gw, 'bob', 'POST', '/printers/lp7200/print'), 200);
    t.equal(await statusAs(gw, 'ivy', 'GET', '/invoices/2026'), 200);
  }
  const bound = POLL_MS + 1_000; // one poll interval, plus the reload and a margin for a shared 2-core test machine
  const counter = async () => Number((await db.query('SELECT version FROM permgate_rbac_version WHERE id = 1'))[0]!['version']);
  const before = await counter();

  // An UPDATE that keeps every count: only the trigger-bumped counter (or a full checksum) can see it.
  await db.query("UPDATE roles_permissions SET permission = 'printer:query' WHERE role_name = 'printer-user' AND permission = 'printer:print'");
  t.ok((await counter()) > before, 'the printed trigger bumped the counter');
  const [onA, onB] = await Promise.all([
    timeUntil(a!, 'alice', 'POST', '/printers/lp7200/print', 403, 5_000),
    timeUntil(b!, 'alice', 'POST', '/printers/lp7200/print', 403, 5_000),
  ]);
  t.ok(onA < bound && onB < bound, `a role's permission rewritten: refused on a after ${onA.toFixed(0)} ms, on b after ${onB.toFixed(0)} ms (poll every ${POLL_MS} ms)`);
  t.equal(await statusAs(a!, 'alice', 'GET', '/printers/lp7200'), 200, 'and what it now grants is allowed');

  await db.query("DELETE FROM user_roles WHERE username = 'bob'");
  const [bobA, bobB] = await Promise.all([
    timeUntil(a!, 'bob', 'POST', '/printers/lp7200/print', 403, 5_000),
    timeUntil(b!, 'bob', 'POST', '/printers/lp7200/print', 403, 5_000),
  ]);
  t.ok(bobA < bound && bobB < bound, `a membership deleted: refused on a after ${bobA.toFixed(0)} ms, on b after ${bobB.toFixed(0)} ms`);

  await db.query("DELETE FROM users WHERE username = 'ivy'");
  const [ivyA, ivyB] = await Promise.all([timeUntil(a!, 'ivy', 'GET', '/invoices/2026', 403, 5_000), timeUntil(b!, 'ivy', 'GET', '/invoices/2026', 403, 5_000)]);
  t.ok(ivyA < bound && ivyB < bound, `a user deleted (her user_roles rows left behind): refused on a after ${ivyA.toFixed(0)} ms, on b after ${ivyB.toFixed(0)} ms`);
});
