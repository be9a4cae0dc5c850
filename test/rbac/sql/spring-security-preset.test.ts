// The spring-security preset on real servers: the shared MariaDB fixture and its PostgreSQL translation load, the
// queries return the seam's columns, and the real engine decides as Spring would (ROLE_ authorities bind roles, other
// authorities are codes, groups are roles, a disabled user holds nothing); the printed triggers count and announce.
import t, { type Test } from 'tap';
import type { RoleDefinition } from '../../../src/rbac/model.js';
import { springSecurityPreset as preset } from '../../../src/rbac/sql/presets/spring-security.js';
import type { SqlDialect } from '../../../src/rbac/sql/sql-preset.js';
import { checkRoleReads, checkSeamColumns, checkTriggers, databaseFor, decider, fixture, loadPolicy } from '../../helpers/sql-preset-policy.js';

const FIXTURES: Record<SqlDialect, string> = {
  mysql: 'test/fixtures/sql/spring-security-mariadb.sql',
  postgres: 'test/fixtures/sql/spring-security-pg.sql',
};
// What the YAML `rbac` section would give the roles Spring's ROLE_ authorities name (SQL holds no grants for them).
const YAML_ROLES: RoleDefinition[] = [
  { name: 'ADMIN', grants: ['admin:access'], denies: [], inherits: [] },
  { name: 'USER', grants: ['profile:read'], denies: [], inherits: [] },
  { name: 'AUDITOR', grants: ['audit:read'], denies: [], inherits: [] },
];
const SUBJECTS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace.evans', 'hank', 'ivy', 'jack', 'kim', 'nobody'];

for (const dialect of ['mysql', 'postgres'] as const) {
  t.test(`${dialect}: the spring-security preset maps Spring's JDBC schema`, async (t: Test) => {
    const db = await databaseFor(t, dialect, fixture(FIXTURES[dialect]));
    // Two rows the fixture lacks: a lower-case role_ prefix (no role to Spring) and an authority `*` (a literal to Spring).
    await db.query("INSERT INTO authorities (username, authority) VALUES ('jack', 'role_ADMIN'), ('ivy', '*')");

    await t.test('every query runs and returns the columns the seam names', (t) => checkSeamColumns(t, db, preset, dialect, 'alice'));

    await t.test("one role's rows read alone are its rows in the full read", (t) => checkRoleReads(t, db, preset, dialect));

    await t.test('rows become roles and subject records as Spring reads them', async (t) => {
      const policy = await loadPolicy(db, preset, dialect, SUBJECTS);
      t.same(policy.subjects.get('carol'), { roles: [{ role: 'ADMIN' }], grants: [], denies: [] }, 'ROLE_ADMIN binds the role ADMIN');
      t.same(policy.subjects.get('erin'), { roles: [], grants: [], denies: [] }, 'a disabled user holds nothing, not even her direct grants or groups');
      t.same(policy.subjects.get('nobody'), { roles: [], grants: [], denies: [] });
      t.same(policy.roles.get('group.admins'), { name: 'group.admins', grants: [], denies: [], inherits: ['ADMIN'] }, "a group's ROLE_ authority is a role it inherits");
      t.same(new Set(policy.roles.get('group.warehouse')!.grants), new Set(['stock:read', 'stock:write', 'order:read']));
      t.same(policy.roles.get('ADMIN'), { name: 'ADMIN', grants: [], denies: [], inherits: [] }, 'a role only inherited is defined, empty');
      t.same(policy.problems.map((p) => [p.where, p.pattern]), [['subject ivy grant', '*']], 'a literal * is reported, never read as a wildcard');
    });

    await t.test('the engine decides as Spring would', async (t) => {
      const policy = await loadPolicy(db, preset, dialect, SUBJECTS);
      for (const role of YAML_ROLES) policy.roles.set(role.name, role);
      const allowed = await decider(t, policy);
      t.ok(await allowed('alice', 'order:write'), 'a direct authority is a grant');
      t.ok(await allowed('alice', 'profile:read'), 'ROLE_USER binds USER');
      t.notOk(await allowed('alice', 'order:delete'));
      for (const code of ['order:read', 'stock:read', 'profile:read']) t.notOk(await allowed('erin', code), `disabled erin: no ${code}`);
      t.notOk(await allowed('grace.evans', 'customer:read'), "a disabled member gets nothing from her group");
      t.ok(await allowed('bob', 'stock:write'), "a group's grant reaches its member");
      t.notOk(await allowed('bob', 'invoice:read'), 'and not what other groups hold');
      t.ok(await allowed('frank', 'admin:access'), 'a member of a group holding ROLE_ADMIN holds ADMIN');
      t.ok(await allowed('hank', 'audit:read'), 'through accounting, which holds ROLE_AUDITOR');
      t.ok(await allowed('hank', 'invoice:write'));
      t.ok(await allowed('carol', 'admin:access'));
      t.notOk(await allowed('dave', 'admin:access'), 'the authority ADMIN without ROLE_ is no role');
      t.ok(await allowed('dave', 'ADMIN'), 'it is the code ADMIN');
      t.notOk(await allowed('jack', 'admin:access'), 'role_ADMIN is no role: the prefix is case-sensitive, as in Spring');
      t.notOk(await allowed('ivy', 'order:read'), 'the authority * grants nothing');
      t.ok(await allowed('kim', 'ticket:read'));
      t.notOk(await allowed('nobody', 'profile:read'));
    });

    await t.test('the printed triggers bump the version on every change the preset reads and announce it', (t) =>
      checkTriggers(t, db, preset, dialect, "UPDATE authorities SET authority = 'order:delete' WHERE username = 'alice' AND authority = 'order:write'", [
        { sql: "UPDATE users SET enabled = FALSE WHERE username = 'alice'", notified: [{ subjects: ['alice'], roles: [] }] },
        { sql: "UPDATE users SET password = 'changed' WHERE username = 'bob'", notified: [] },
        // hasRole() reads the ROLE_ prefix exactly: a change of case alone unbinds the role (MariaDB's collation notwithstanding).
        { sql: "UPDATE authorities SET authority = 'role_ADMIN' WHERE username = 'carol' AND authority = 'ROLE_ADMIN'", notified: [{ subjects: ['carol'], roles: [] }] },
        { sql: "INSERT INTO authorities (username, authority) VALUES ('bob', 'order:write')", notified: [{ subjects: ['bob'], roles: [] }] },
        { sql: "DELETE FROM group_members WHERE username = 'hank' AND group_id = 3", notified: [{ subjects: ['hank'], roles: [] }] },
        { sql: "UPDATE group_authorities SET authority = 'stock:audit' WHERE group_id = 2 AND authority = 'stock:write'", notified: [{ subjects: [], roles: ['group.warehouse'] }] },
        { sql: `UPDATE ${dialect === 'postgres' ? '"groups"' : '`groups`'} SET group_name = 'stockroom' WHERE id = 2`, notified: [{ subjects: [], roles: ['group.stockroom', 'group.warehouse'] }] },
        ...(dialect === 'postgres' ? [{ sql: 'TRUNCATE group_members', notified: [{ all: true } as const] }] : []),
      ]),
    );
  });
}
