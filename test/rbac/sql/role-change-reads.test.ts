// A role change announced by NOTIFY reads that role alone (roleGrantsOf, roleParentsOf; issue 16: a role change in force
// within 100 ms, where reading every role takes seconds at a million rows), on PostgreSQL with each preset's printed
// triggers: after random writes through SQL (grants and denies added and removed, roles renamed, emptied, disabled,
// given and stripped of parents), the source's roles equal what reading every row builds, while the full queries
// (roleGrants, roleParents) ran only at start. Reads past ROLE_READ_LIMIT roles, and changes the triggers cannot name,
// read every role: the safety net.
import t, { type Test } from 'tap';
import { Checker } from '../../../src/config/checker.js';
import { checkSqlSource } from '../../../src/config/validate-sql-source.js';
import type { RoleDefinition } from '../../../src/rbac/model.js';
import type { RbacChange } from '../../../src/rbac/rbac-store.js';
import { presetByName } from '../../../src/rbac/sql/presets/index.js';
import type { SqlPreset, SqlPresetName } from '../../../src/rbac/sql/sql-preset.js';
import { ROLE_READ_LIMIT, SqlRbacSource, type SourceQuery } from '../../../src/rbac/sql/sql-rbac-source.js';
import { rolesFromRows } from '../../../src/rbac/sql/sql-rows.js';
import { fixture } from '../../helpers/sql-preset-policy.js';
import { createDatabase, type TestDatabase } from '../../helpers/sql-test-database.js';

const CHANNEL = 'permgate_rbac';

/** A seeded PRNG, so a failure can be replayed. */
function prng(seed: number): () => number {
  return () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
}

type Random = { pick<T>(list: readonly T[]): T; chance(p: number): boolean; n: () => number };

/** One random write per call, in SQL the preset's triggers see; it may read the database to choose its rows. */
type Change = (db: TestDatabase, r: Random) => Promise<string>;

const q = (value: string) => `'${value.replace(/'/g, "''")}'`;
const column = async (db: TestDatabase, sql: string): Promise<string[]> => (await db.query(sql)).map((row) => String(Object.values(row)[0]));

const CHANGES: Record<'shiro-jdbc' | 'spring-security' | 'casbin' | 'ruoyi', { fixture: string; changes: readonly Change[] }> = {
  'shiro-jdbc': {
    fixture: 'test/fixtures/sql/shiro-jdbc-pg.sql',
    changes: [
      async (db, r) => `INSERT INTO roles_permissions VALUES (${q(r.pick([...(await column(db, 'SELECT role_name FROM roles_permissions')), `new-${r.n()}`]))}, ${q(r.pick(['order:read', 'stock:*', 'a:b:c', '/bad', `x${r.n()}:read`]))}) ON CONFLICT DO NOTHING`,
      async (db, r) => {
        const [role, permission] = r.pick((await db.query('SELECT role_name, permission FROM roles_permissions')).map((row) => [String(row['role_name']), String(row['permission'])]));
        return `DELETE FROM roles_permissions WHERE role_name = ${q(role!)} AND permission = ${q(permission!)}`;
      },
      async (db, r) => `DELETE FROM roles_permissions WHERE role_name = ${q(r.pick(await column(db, 'SELECT role_name FROM roles_permissions')))}`,
      async (db, r) => `UPDATE roles_permissions SET role_name = ${q(`renamed-${r.n()}`)} WHERE role_name = ${q(r.pick(await column(db, 'SELECT role_name FROM roles_permissions')))}`,
      async (db, r) => `UPDATE roles_permissions SET permission = permission || ':x${r.n()}' WHERE role_name = ${q(r.pick(await column(db, 'SELECT role_name FROM roles_permissions')))}`,
    ],
  },
  'spring-security': {
    fixture: 'test/fixtures/sql/spring-security-pg.sql',
    changes: [
      async (db, r) => `INSERT INTO group_authorities (group_id, authority) VALUES (${r.pick(await column(db, 'SELECT id FROM "groups"'))}, ${q(r.pick(['order:read', 'stock:write', `x${r.n()}:read`, 'ROLE_ADMIN', `ROLE_R${r.n() % 4}`, 'bad*']))})`,
      async (db, r) => `DELETE FROM group_authorities WHERE ctid = ${q(r.pick(await column(db, 'SELECT ctid::text FROM group_authorities')))}::tid`,
      async (db, r) => `UPDATE group_authorities SET authority = ${q(r.pick(['ROLE_AUDITOR', `ROLE_R${r.n() % 4}`, `y${r.n()}:write`]))} WHERE ctid = ${q(r.pick(await column(db, 'SELECT ctid::text FROM group_authorities')))}::tid`,
      async (db, r) => `UPDATE "groups" SET group_name = ${q(r.pick([`renamed-${r.n()}`, 'Has Space', 'sales']))} WHERE id = ${r.pick(await column(db, 'SELECT id FROM "groups"'))}`,
      async (db, r) => {
        const id = r.pick(await column(db, 'SELECT id FROM "groups"'));
        return `DELETE FROM group_authorities WHERE group_id = ${id}; DELETE FROM group_members WHERE group_id = ${id}; DELETE FROM "groups" WHERE id = ${id}`;
      },
      async (_db, r) => {
        const id = 1_000 + r.n();
        return `INSERT INTO "groups" (id, group_name) VALUES (${id}, 'team-${id}'); INSERT INTO group_authorities (group_id, authority) VALUES (${id}, 'order:read'), (${id}, 'ROLE_USER')`;
      },
    ],
  },
  casbin: {
    fixture: 'test/fixtures/sql/casbin-pg.sql',
    changes: [
      async (db, r) => {
        const sub = r.pick([...(await column(db, "SELECT v0 FROM casbin_rule WHERE ptype IN ('p', 'g')")), 'x@example.com', `new-${r.n()}`]);
        const effect = r.pick([null, 'allow', 'deny']);
        return r.chance(0.5)
          ? `INSERT INTO casbin_rule (ptype, v0, v1, v2, v3) VALUES ('p', ${q(sub)}, ${q(r.pick(['order', 'report', '/data/*']))}, ${q(r.pick(['read', 'write', 'export']))}, ${effect === null ? 'NULL' : q(effect)})`
          : `INSERT INTO casbin_rule (ptype, v0, v1, v2, v3, v4) VALUES ('p', ${q(sub)}, ${q(r.pick(['acme', 'globex', 'example.com']))}, 'project', ${q(r.pick(['read', 'write']))}, ${effect === null ? 'NULL' : q(effect)})`;
      },
      async (db, r) => {
        const [a, b] = [r.pick(await column(db, "SELECT v0 FROM casbin_rule WHERE ptype IN ('p', 'g')")), r.pick(['viewer', 'editor', 'member', 'tenant-admin', `role-${r.n()}`])];
        return `INSERT INTO casbin_rule (ptype, v0, v1, v2) VALUES ('g', ${q(a)}, ${q(b)}, ${r.chance(0.4) ? q(r.pick(['acme', 'globex'])) : 'NULL'})`;
      },
      async (db, r) => `DELETE FROM casbin_rule WHERE id = ${r.pick(await column(db, "SELECT id FROM casbin_rule WHERE ptype IN ('p', 'g')"))}`,
      async (db, r) => `UPDATE casbin_rule SET v0 = ${q(r.pick([`renamed-${r.n()}`, 'x@example.com', 'viewer']))} WHERE id = ${r.pick(await column(db, "SELECT id FROM casbin_rule WHERE ptype IN ('p', 'g')"))}`,
      async (db, r) => `UPDATE casbin_rule SET v3 = 'deny' WHERE id = ${r.pick(await column(db, "SELECT id FROM casbin_rule WHERE ptype = 'p' AND v3 IS NULL"))}`,
      async (db, r) => `DELETE FROM casbin_rule WHERE ptype IN ('p', 'g') AND v0 = ${q(r.pick(await column(db, "SELECT v0 FROM casbin_rule WHERE ptype IN ('p', 'g')")))}`,
    ],
  },
  ruoyi: {
    fixture: 'test/fixtures/sql/ruoyi-pg.sql',
    changes: [
      async (db, r) => `INSERT INTO sys_role_menu VALUES (${r.pick(await column(db, 'SELECT role_id FROM sys_role'))}, ${r.pick(await column(db, 'SELECT menu_id FROM sys_menu'))}) ON CONFLICT DO NOTHING`,
      async (db, r) => {
        const [role, menu] = r.pick((await db.query('SELECT role_id, menu_id FROM sys_role_menu')).map((row) => [row['role_id'], row['menu_id']]));
        return `DELETE FROM sys_role_menu WHERE role_id = ${role} AND menu_id = ${menu}`;
      },
      async (db, r) => `UPDATE sys_role SET status = ${q(r.pick(['0', '1']))}, del_flag = ${q(r.pick(['0', '0', '2']))} WHERE role_id = ${r.pick(await column(db, 'SELECT role_id FROM sys_role'))}`,
      async (db, r) => `UPDATE sys_role SET role_key = ${q(r.pick([`renamed-${r.n()}`, 'sales', 'has space']))} WHERE role_id = ${r.pick(await column(db, 'SELECT role_id FROM sys_role'))}`,
      async (db, r) => `UPDATE sys_menu SET perms = ${q(r.pick(['biz:order:list', `biz:x${r.n()}:list,biz:y:list`, '']))} WHERE menu_id = ${r.pick(await column(db, "SELECT menu_id FROM sys_menu WHERE perms <> ''"))}`,
    ],
  },
};

/** The roles a full read builds from the database now. */
async function fullRead(db: TestDatabase, preset: SqlPreset): Promise<ReadonlyMap<string, RoleDefinition>> {
  const queries = preset.queries('postgres');
  return rolesFromRows(await db.query(queries.roleGrants), queries.roleParents === undefined ? [] : await db.query(queries.roleParents), preset, () => {});
}

const plain = (roles: ReadonlyMap<string, RoleDefinition>) => JSON.stringify([...roles].sort(([a], [b]) => (a < b ? -1 : 1)));

interface Watched {
  readonly source: SqlRbacSource;
  /** Queries run since start, by key. */
  readonly ran: Map<SourceQuery, number>;
  readonly changes: RbacChange[];
}

/** The preset's fixture and triggers in a database of its own, and a source on it listening with notify. */
async function watched(t: Test, name: SqlPresetName, sqlText: string): Promise<{ db: TestDatabase; preset: SqlPreset } & Watched> {
  const preset = presetByName(name)!;
  const db = await createDatabase('postgres', sqlText);
  t.teardown(() => db.drop());
  await db.query(preset.triggers('postgres', CHANNEL));
  const c = new Checker(() => ({ file: 'test', line: 0, column: 0 }));
  // The version check runs once a minute: within a test only notifications can bring a change.
  const config = checkSqlSource(c, { url: db.url, preset: name, changes: { notify: CHANNEL, check: '1m' }, pool: 4, statementTimeout: '5s', connectTimeout: '2s' } as never, 1_000);
  if (config === undefined) throw new Error(c.issues.map((i) => i.message).join('; '));
  const ran = new Map<SourceQuery, number>();
  const source = await SqlRbacSource.open(config, preset, { cacheSize: 100, events: { onQuery: (key) => void ran.set(key, (ran.get(key) ?? 0) + 1) } });
  t.teardown(() => source.close());
  const changes: RbacChange[] = [];
  await source.start((change) => void changes.push(change));
  t.ok(source.isCurrent(), 'the source read every role and listens');
  return { db, preset, source, ran, changes };
}

/** Waits until the source's roles are `expected`; false past the deadline. */
async function reaches(source: SqlRbacSource, expected: string, deadlineMs = 3_000): Promise<boolean> {
  for (const end = Date.now() + deadlineMs; Date.now() < end; await new Promise((resolve) => setTimeout(resolve, 10))) if (plain(source.roles()) === expected) return true;
  return plain(source.roles()) === expected;
}

for (const name of Object.keys(CHANGES) as (keyof typeof CHANGES)[]) {
  t.test(`${name}: after random role changes through SQL, the roles read one by one equal a full read, and no full read ran`, async (t) => {
    const { db, preset, source, ran } = await watched(t, name, fixture(CHANGES[name].fixture));
    t.equal(plain(source.roles()), plain(await fullRead(db, preset)), 'at start');
    const random = prng(name.length * 7_919);
    let counter = 0;
    const pick = <T>(list: readonly T[]): T => {
      if (list.length === 0) throw new RangeError('nothing to pick');
      return list[Math.floor(random() * list.length)]!;
    };
    const r: Random = { pick, chance: (p) => random() < p, n: () => ++counter };
    const failed: string[] = [];
    for (let step = 0; step < 30; step++) {
      // Sometimes several writes in one transaction: their notifications arrive together and are read once.
      const writes: string[] = [];
      for (let n = r.chance(0.25) ? 3 : 1; n > 0; n--) {
        // A change with nothing to choose from (every row of its kind deleted by then) is skipped.
        const write = await r.pick(CHANGES[name].changes)(db, r).catch((err: unknown) => (err instanceof RangeError ? undefined : Promise.reject(err)));
        if (write !== undefined) writes.push(write);
      }
      if (writes.length === 0) continue;
      const sql = writes.length === 1 ? writes[0]! : `BEGIN; ${writes.join('; ')}; COMMIT`;
      await db.query(sql);
      const expected = plain(await fullRead(db, preset));
      if (!(await reaches(source, expected))) failed.push(`step ${step}: ${sql}`);
    }
    t.same(failed, [], 'after every change the roles equal a full read of the database');
    // Nothing read late undoes what was read: still equal once every notification has long been handled.
    await new Promise((resolve) => setTimeout(resolve, 300));
    t.equal(plain(source.roles()), plain(await fullRead(db, preset)), 'and still, once all is quiet');
    t.equal(ran.get('roleGrants'), 1, 'roleGrants ran once: at start');
    t.equal(ran.get('roleParents'), preset.queries('postgres').roleParents === undefined ? undefined : 1, 'so did roleParents, where the preset has one');
    t.ok((ran.get('roleGrantsOf') ?? 0) >= 30, `each change read its roles alone: roleGrantsOf ran ${ran.get('roleGrantsOf')} times`);
  });
}

t.test('a role change reads that role alone and announces it; a bulk change or one the triggers cannot name reads every role', async (t) => {
  const { db, source, ran, changes } = await watched(t, 'shiro-jdbc', fixture(CHANGES['shiro-jdbc'].fixture));
  const settled = async (count: () => boolean) => {
    for (const end = Date.now() + 3_000; Date.now() < end && !count(); ) await new Promise((resolve) => setTimeout(resolve, 10));
  };
  await db.query("DELETE FROM roles_permissions WHERE role_name = 'printer-user'");
  await settled(() => changes.some((c) => c.kind === 'role' && c.name === 'printer-user'));
  t.same(changes.filter((c) => c.kind !== 'subject').map((c) => c.kind === 'role' && c.name), ['printer-user'], 'announced: the role that changed');
  t.equal(source.roles().has('printer-user'), false, 'a role that lost every row is gone, as in a full read');
  t.same([ran.get('roleGrants'), ran.get('roleGrantsOf')], [1, 1], 'one roleGrantsOf, no roleGrants');

  // More roles than ROLE_READ_LIMIT named at once: one pass over the table costs less than a query each. (One
  // notification naming them all, sent by hand, so they surely arrive as one.)
  const bulk = Array.from({ length: ROLE_READ_LIMIT + 1 }, (_, i) => `bulk-${i}`);
  await db.query(`ALTER TABLE roles_permissions DISABLE TRIGGER USER;
    INSERT INTO roles_permissions VALUES ${bulk.map((role) => `('${role}', 'bulk:read')`).join(', ')};
    ALTER TABLE roles_permissions ENABLE TRIGGER USER;
    SELECT pg_notify('${CHANNEL}', '${JSON.stringify({ subjects: [], roles: bulk })}')`);
  await settled(() => source.roles().has(`bulk-${ROLE_READ_LIMIT}`));
  t.equal(source.roles().get(`bulk-${ROLE_READ_LIMIT}`)?.grants[0], 'bulk:read:*');
  t.same([ran.get('roleGrants'), ran.get('roleGrantsOf')], [2, 1], `${ROLE_READ_LIMIT + 1} roles named: every role read at once`);

  // TRUNCATE names no row: the triggers announce {"all": true}, a resync.
  changes.length = 0;
  await db.query('TRUNCATE roles_permissions');
  await settled(() => changes.some((c) => c.kind === 'resync'));
  t.same(changes.filter((c) => c.kind === 'resync'), [{ kind: 'resync', reason: 'announced resync' }], 'announced as a resync at once, not at the next version check');
  t.same(source.roles(), new Map(), 'every role read: none is left');
  t.equal(ran.get('roleGrants'), 3);
});
