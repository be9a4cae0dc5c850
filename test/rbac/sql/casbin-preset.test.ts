// The casbin preset on real servers: casbin_rule loads on MariaDB ('' for unused values) and PostgreSQL (NULL), the
// queries return the seam's columns, and the real engine decides as Casbin's RBAC models would: roles and their
// hierarchy, direct grants, deny beating allow, domain bindings holding only in their tenant; rows no code can mean
// are reported, never guessed at; the printed triggers count and announce changes.
import t, { type Test } from 'tap';
import { casbinPreset as preset } from '../../../src/rbac/sql/presets/casbin.js';
import type { SqlDialect } from '../../../src/rbac/sql/sql-preset.js';
import { checkRoleReads, checkSeamColumns, checkTriggers, databaseFor, decider, fixture, loadPolicy } from '../../helpers/sql-preset-policy.js';

const FIXTURES: Record<SqlDialect, string> = { mysql: 'test/fixtures/sql/casbin-mariadb.sql', postgres: 'test/fixtures/sql/casbin-pg.sql' };
const SUBJECTS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'gina', 'hank', 'ivy', 'jack', 'mallory', 'BOB'];

t.test('the channel printed into the trigger SQL must be a plain identifier', async (t) => {
  t.throws(() => preset.triggers('postgres', "x', '{}'); DROP TABLE casbin_rule; --"), /not a plain identifier/);
  t.match(preset.triggers('postgres', 'permgate_rbac'), /pg_notify\('permgate_rbac', payload\)/);
  t.notMatch(preset.triggers('mysql', 'permgate_rbac'), /pg_notify/, 'MySQL has no notifications: changes are polled');
});

for (const dialect of ['mysql', 'postgres'] as const) {
  t.test(`${dialect}: the casbin preset maps casbin_rule`, async (t: Test) => {
    const db = await databaseFor(t, dialect, fixture(FIXTURES[dialect]));

    await t.test('every query runs and returns the columns the seam names', (t) => checkSeamColumns(t, db, preset, dialect, 'alice'));

    await t.test("one role's rows read alone are its rows in the full read", (t) => checkRoleReads(t, db, preset, dialect));

    await t.test('rows the preset does not read are counted for the report', async (t) => {
      const rows = await db.query(preset.unmapped(dialect));
      t.same(Object.fromEntries(rows.map((r) => [r['what'], Number(r['count'])])), { g2: 2, g: 1, p: 1 });
    });

    await t.test('g rows bind (in a domain: the domain role, in that tenant only); p rows grant obj:act', async (t) => {
      const policy = await loadPolicy(db, preset, dialect, SUBJECTS);
      t.same(policy.subjects.get('alice'), { roles: [{ role: 'tenant-admin@acme', tenant: 'acme' }], grants: [], denies: [] });
      t.same(policy.subjects.get('bob'), { roles: [{ role: 'viewer' }], grants: [{ code: 'report:export' }], denies: [] }, "a p row naming the user is a direct grant");
      t.same(policy.subjects.get('erin')!.grants, [{ code: 'billing:read', tenant: 'globex' }], 'a domain p row naming the user is a grant in that tenant');
      t.same(policy.subjects.get('BOB'), { roles: [], grants: [], denies: [] }, 'names compare exactly, as in Casbin (MariaDB collation notwithstanding)');
      t.same(new Set(policy.roles.get('tenant-admin@acme')!.grants), new Set(['project:read', 'project:write']));
      t.same(policy.roles.get('tenant-admin@acme')!.denies, ['project:delete']);
      t.same(new Set(policy.roles.get('tenant-admin@acme')!.inherits), new Set(['member@acme', 'tenant-admin']));
      t.same(policy.roles.get('editor')!.inherits, ['viewer']);
      const problems = policy.problems.map((p) => [p.where, p.pattern, p.replacedBy ?? null]).sort();
      t.same(problems, [
        ['role api-client grant', '/data1/*:GET', null],
        ['role api-client grant', '/data2/:id:(GET)|(POST)', null],
        ['role contractor deny', '/admin/*:GET', '*'],
      ], 'URL paths and regexes have no code: a grant is dropped, a deny becomes * (fail closed)');
    });

    await t.test('the engine decides as Casbin would', async (t) => {
      const allowed = await decider(t, await loadPolicy(db, preset, dialect, SUBJECTS));
      t.ok(await allowed('bob', 'order:read'), 'a role grant');
      t.ok(await allowed('bob', 'report:read'), 'an allow row is a grant');
      t.ok(await allowed('bob', 'report:export'), 'a direct grant');
      t.notOk(await allowed('bob', 'order:write'));
      t.ok(await allowed('hank', 'order:read'), 'editor inherits viewer (g between roles)');
      t.ok(await allowed('hank', 'order:write'));
      t.notOk(await allowed('gina', 'order:write'), "a deny on intern beats the grant intern inherits from editor");
      t.ok(await allowed('gina', 'order:read'));
      t.notOk(await allowed('mallory', 'order:read'), 'a direct deny beats the role grant');
      t.ok(await allowed('mallory', 'catalog:read'));
      t.ok(await allowed('frank', 'order:delete'));
      t.notOk(await allowed('ivy', 'data1:GET'), 'a URL-path rule grants nothing');
      t.notOk(await allowed('jack', 'order:read'), 'a URL-path deny denies everything rather than nothing');
      t.ok(await allowed('alice', 'project:write', 'acme'), 'a domain binding holds in its tenant');
      t.notOk(await allowed('alice', 'project:read', 'globex'), 'and only there');
      t.notOk(await allowed('alice', 'project:read'), 'nor without a tenant');
      t.notOk(await allowed('alice', 'project:delete', 'acme'), 'a domain deny');
      t.ok(await allowed('alice', 'board:read', 'acme'), 'a role inherited in the domain');
      t.ok(await allowed('alice', 'wiki:read', 'acme'), "domain-free p rows count in the binding's domain");
      t.ok(await allowed('carol', 'project:read', 'globex'));
      t.notOk(await allowed('carol', 'project:write', 'globex'), "acme's policies do not leak into globex");
      t.ok(await allowed('dave', 'wiki:read', 'acme'));
      t.notOk(await allowed('dave', 'wiki:read', 'globex'));
      t.ok(await allowed('erin', 'billing:read', 'globex'));
      t.notOk(await allowed('erin', 'billing:read', 'acme'));
      t.ok(await allowed('erin', 'ticket:read', 'acme'), 'a domain-free binding holds in every tenant');
    });

    const row = (ptype: string, ...v: string[]) => `INSERT INTO casbin_rule (ptype, ${v.map((_, i) => `v${i}`).join(', ')}) VALUES ('${ptype}', ${v.map((x) => `'${x}'`).join(', ')})`;
    await t.test('the printed triggers bump the version on every change and announce what it touched', (t) =>
      checkTriggers(t, db, preset, dialect, "UPDATE casbin_rule SET v2 = 'delete' WHERE ptype = 'p' AND v0 = 'viewer' AND v1 = 'catalog'", [
        { sql: row('g', 'kim', 'viewer'), notified: [{ subjects: ['kim'], roles: ['kim'] }] },
        { sql: row('g', 'kim', 'member', 'acme'), notified: [{ subjects: ['kim'], roles: ['kim', 'kim@acme', 'member@acme'] }] },
        // Casbin compares names exactly: a change of case alone is a revocation, though MariaDB's collation calls both equal.
        { sql: "UPDATE casbin_rule SET v1 = 'Viewer' WHERE ptype = 'g' AND v0 = 'kim' AND v1 = 'viewer'", notified: [{ subjects: ['kim'], roles: ['kim'] }] },
        { sql: "UPDATE casbin_rule SET v1 = 'Viewer ' WHERE ptype = 'g' AND v0 = 'kim' AND v1 = 'Viewer'", notified: [{ subjects: ['kim'], roles: ['kim'] }] },
        { sql: "UPDATE casbin_rule SET v2 = 'write' WHERE ptype = 'p' AND v0 = 'bob'", notified: [{ subjects: ['bob'], roles: ['bob', 'bob@report'] }] },
        { sql: "DELETE FROM casbin_rule WHERE ptype = 'g2'", notified: [], moves: true },
        ...(dialect === 'postgres'
          ? [
              // A change naming more than a notification can carry (8000 bytes) announces everything instead.
              {
                sql: `DROP TRIGGER permgate_rbac_notify ON casbin_rule; DROP TRIGGER permgate_rbac_bump ON casbin_rule; ALTER TABLE casbin_rule ALTER COLUMN v0 TYPE text;
                  ${preset.triggers('postgres', 'permgate_rbac')} ${row('p', 'x'.repeat(3000), 'order', 'read')}`,
                notified: [{ all: true } as const],
              },
              { sql: 'TRUNCATE casbin_rule', notified: [{ all: true } as const] },
            ]
          : []),
      ]),
    );
  });
}
