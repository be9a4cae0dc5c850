// The shiro-jdbc preset on real servers: JdbcRealm's default tables load on PostgreSQL and MariaDB, the queries return
// the seam's columns, Shiro wildcard permissions become permgate patterns that cover the same codes (what Shiro implies
// below a permission included), and the printed triggers count and announce changes.
import t, { type Test } from 'tap';
import { shiroJdbcPreset as preset, shiroPattern } from '../../../src/rbac/sql/presets/shiro-jdbc.js';
import type { SqlDialect } from '../../../src/rbac/sql/sql-preset.js';
import { checkRoleReads, checkSeamColumns, checkTriggers, databaseFor, decider, fixture, loadPolicy } from '../../helpers/sql-preset-policy.js';

const POSTGRES = fixture('test/fixtures/sql/shiro-jdbc-pg.sql');
/** The MariaDB tables, then the PostgreSQL fixture's rows (portable SQL after its `-- rows:` line). */
const FIXTURES: Record<SqlDialect, string> = {
  postgres: POSTGRES,
  mysql: fixture('test/fixtures/sql/shiro-jdbc-mariadb.sql') + POSTGRES.slice(POSTGRES.indexOf('\n-- rows:')),
};
const SUBJECTS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'ivy', 'kim', 'leo', 'mona', 'zoe'];

t.test('a Shiro permission maps to the permgate pattern covering what Shiro implies', async (t) => {
  const cases: [string, string | undefined][] = [
    ['printer:print', 'printer:print:*'],
    ['printer', 'printer:*'],
    ['*', '*'],
    ['printer:*', 'printer:*'],
    ['*:read', '*:read:*'],
    ['printer:print:lp7200', 'printer:print:lp7200:*'],
    ['printer:query,print:lp7200', 'printer:query,print:lp7200:*'],
    ['printer:print,*', 'printer:*'],
    ['  Report:Export ', 'report:export:*'],
    ['newsletter:send, preview', undefined],
    ['/api/orders/**', undefined],
    ['printer::print', undefined],
    ['profile:edit:{subject}', undefined],
    ['profile:edit:{SUBJECT}', undefined],
    ['', undefined],
  ];
  for (const [shiro, permgate] of cases) t.equal(shiroPattern(shiro), permgate, `${JSON.stringify(shiro)} → ${permgate}`);
});

for (const dialect of ['postgres', 'mysql'] as const) {
  t.test(`${dialect}: the shiro-jdbc preset maps JdbcRealm's tables`, async (t: Test) => {
    const db = await databaseFor(t, dialect, FIXTURES[dialect]);

    await t.test('every query runs and returns the columns the seam names', (t) => checkSeamColumns(t, db, preset, dialect, 'alice'));

    await t.test("one role's rows read alone are its rows in the full read", (t) => checkRoleReads(t, db, preset, dialect));

    await t.test('roles and permissions become roles and patterns; what cannot map is reported', async (t) => {
      const policy = await loadPolicy(db, preset, dialect, SUBJECTS);
      const frank = policy.subjects.get('frank')!;
      t.same([...frank.roles].sort((a, b) => a.role.localeCompare(b.role)), [{ role: 'sales' }, { role: 'support' }]);
      t.same([frank.grants, frank.denies], [[], []], 'Shiro has no direct grants');
      t.same(policy.subjects.get('zoe'), { roles: [], grants: [], denies: [] }, 'roles left behind by a deleted user count for nothing');
      t.same(new Set(policy.roles.get('printer-operator')!.grants), new Set(['printer:print:*', 'printer:query:*', 'printer:manage:lp7200,epsoncolor:*']));
      t.same(
        policy.problems.map((p) => [p.where, p.pattern]).sort(),
        [['role legacy-api grant', '/api/orders/**'], ['role legacy-api grant', 'newsletter:send, preview']],
      );
    });

    await t.test('the engine decides as Shiro would', async (t) => {
      const allowed = await decider(t, await loadPolicy(db, preset, dialect, SUBJECTS));
      t.ok(await allowed('alice', 'printer:print'));
      t.ok(await allowed('alice', 'printer:print:lp7200'), 'printer:print covers printer:print:lp7200, as in Shiro');
      t.notOk(await allowed('alice', 'printer:query'), 'but not printer:query');
      t.ok(await allowed('bob', 'printer:print:lp7200'));
      t.notOk(await allowed('bob', 'printer:print:epsoncolor'));
      t.notOk(await allowed('bob', 'printer:print'), 'printer:print:lp7200 does not cover printer:print (nor does it in Shiro)');
      t.ok(await allowed('dave', 'printer:manage:epsoncolor:reset'), 'a list part, then everything below it');
      t.notOk(await allowed('dave', 'printer:manage:hp'));
      t.ok(await allowed('carol', 'anything:at:all'), '* is everything');
      t.notOk(await allowed('carol', 'permgate:admin:rbac:write'), 'except the admin namespace, which * never covers');
      t.ok(await allowed('erin', 'order:read:42'), '*:read covers every read below any first part');
      t.notOk(await allowed('erin', 'order:write'));
      t.ok(await allowed('frank', 'customer:delete'));
      t.notOk(await allowed('frank', 'ticket:delete'));
      t.ok(await allowed('ivy', 'invoice:read:2026'));
      t.notOk(await allowed('ivy', 'invoice:read:2025'));
      t.ok(await allowed('kim', 'report:export:pdf'), 'Report:Export, lowercased as Shiro compares it');
      t.ok(await allowed('leo', 'catalog:view'), "a role's unmappable permissions do not take its others away");
      t.notOk(await allowed('leo', 'newsletter:send'));
      t.notOk(await allowed('zoe', 'anything'));
      t.notOk(await allowed('mona', 'catalog:view'));
    });

    await t.test("role names compare as JdbcRealm's permission query compares them: by the database's collation", async (t) => {
      // hank's binding spells the role as no roles_permissions row does. JdbcRealm asks `... WHERE role_name = ?`: on
      // MariaDB (a case- and trailing-space-insensitive collation) that finds guest's permissions, on PostgreSQL not.
      await db.query("INSERT INTO user_roles (username, role_name) VALUES ('hank', 'GUEST'), ('hank', 'Reporting ')");
      const allowed = await decider(t, await loadPolicy(db, preset, dialect, ['hank']));
      t.equal(await allowed('hank', 'catalog:view'), dialect === 'mysql', `GUEST is guest on ${dialect === 'mysql' ? 'MariaDB' : 'PostgreSQL only when spelled so'}`);
      t.equal(await allowed('hank', 'report:export'), dialect === 'mysql', "'Reporting ' is reporting where trailing spaces do not count");
      t.ok(await allowed('hank', 'employee:read'), 'his binding spelled as stored still holds');
      await db.query("DELETE FROM user_roles WHERE username = 'hank' AND role_name IN ('GUEST', 'Reporting ')");
    });

    await t.test('the printed triggers bump the version on every change the preset reads and announce it', (t) =>
      checkTriggers(t, db, preset, dialect, "UPDATE roles_permissions SET permission = 'printer:query' WHERE role_name = 'printer-user'", [
        { sql: "INSERT INTO user_roles (username, role_name) VALUES ('mona', 'guest')", notified: [{ subjects: ['mona'], roles: [] }] },
        { sql: "UPDATE users SET password = 'changed', password_salt = 'new' WHERE username = 'alice'", notified: [] },
        { sql: "DELETE FROM users WHERE username = 'jack'", notified: [{ subjects: ['jack'], roles: [] }] },
        { sql: "UPDATE roles_permissions SET permission = 'printer:*' WHERE role_name = 'printer-user'", notified: [{ subjects: [], roles: ['printer-user'] }] },
        { sql: "UPDATE user_roles SET role_name = 'admin' WHERE username = 'alice'", notified: [{ subjects: ['alice'], roles: [] }] },
        { sql: "UPDATE user_roles SET role_name = 'Guest' WHERE username = 'leo' AND role_name = 'guest'", notified: [{ subjects: ['leo'], roles: [] }] },
        ...(dialect === 'postgres' ? [{ sql: 'TRUNCATE roles_permissions', notified: [{ all: true } as const] }] : []),
      ]),
    );
  });
}
