// Roles kept per stored name (sql-roles.ts), without a database: after any sequence of changes, replacing only the
// changed names' rows builds exactly the roles a full read of every row builds (rolesFromRows), and names exactly the
// roles that differ; whatever the rows hold: two stored names one role, names that are no role name, a role that
// inherits itself, a parent named nowhere else, permission strings that map to nothing (a deny of one becomes `*`).
import t from 'tap';
import type { RoleDefinition } from '../../../src/rbac/model.js';
import { springSecurityPreset } from '../../../src/rbac/sql/presets/spring-security.js';
import type { SqlRow } from '../../../src/rbac/sql/rows-to-policy.js';
import { SqlRoles } from '../../../src/rbac/sql/sql-roles.js';
import { rolesFromRows, sameRole } from '../../../src/rbac/sql/sql-rows.js';

/** A seeded PRNG, so a failure can be replayed. */
function prng(seed: number): () => number {
  return () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
}

// spring-security maps ROLE_X to X: `ROLE_ops` and `ops` are two stored names of one role. `has space` is no role name.
const NAMES: readonly unknown[] = ['ops', 'ROLE_ops', 'group.sales', 'group.hr', 'ADMIN', 'ROLE_ADMIN', 'audit', 'has space', 'ROLE_', 42, null];
const CODES: readonly unknown[] = ['order:read', 'order:write', 'invoice:read', 'report:export', 'a:*', '/api/x', '', null];
const EFFECTS: readonly unknown[] = ['grant', 'grant', 'deny', undefined, 'allow', 'nonsense'];

const nowNames = (rows: readonly SqlRow[]): Set<string> => new Set(rows.map((r) => r['role']).filter((r): r is string => typeof r === 'string'));
const plain = (roles: ReadonlyMap<string, RoleDefinition>) => Object.fromEntries([...roles].sort(([a], [b]) => (a < b ? -1 : 1)));

for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
  t.test(`seed ${seed}: partial replacements build what a full read builds, and name what differs`, async (t) => {
    const random = prng(seed);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const grantRow = (): SqlRow => ({ role: pick(NAMES), code: pick(CODES), ...(random() < 0.7 ? { effect: pick(EFFECTS) } : {}) });
    const parentRow = (): SqlRow => ({ role: pick(NAMES), parent: pick(NAMES) });
    let grants: SqlRow[] = Array.from({ length: 30 }, grantRow);
    let parents: SqlRow[] = Array.from({ length: 8 }, parentRow);
    const roles = new SqlRoles(springSecurityPreset, () => {});
    t.same(roles.replaceAll(grants, parents), new Set(rolesFromRows(grants, parents, springSecurityPreset, () => {}).keys()), 'the first read names every role');
    let full = rolesFromRows(grants, parents, springSecurityPreset, () => {});
    t.same(plain(roles.roles), plain(full));
    for (let step = 0; step < 60; step++) {
      // A few rows inserted, deleted or updated (an update may move a row to another role: a rename).
      const changed = new Set<string>();
      for (let n = 1 + Math.floor(random() * 3); n > 0; n--) {
        const table = random() < 0.7 ? 'grants' : 'parents';
        const rows = table === 'grants' ? grants : parents;
        const make = table === 'grants' ? grantRow : parentRow;
        const at = Math.floor(random() * rows.length);
        const what = random();
        const before = rows[at];
        let next: SqlRow[];
        if (what < 0.35 || rows.length === 0) next = [...rows, make()];
        else if (what < 0.65) next = rows.filter((_, i) => i !== at);
        else next = rows.map((r, i) => (i === at ? { ...make(), role: random() < 0.5 ? r['role'] : make()['role'] } : r));
        for (const name of [...nowNames(before === undefined ? [] : [before]), ...nowNames(next.filter((r) => !rows.includes(r)))]) changed.add(name);
        if (table === 'grants') grants = next;
        else parents = next;
      }
      const read = [...changed];
      // The per-role queries return the changed names' rows, and (a collation calling them equal) some of others'.
      const noise = (rows: readonly SqlRow[]) => rows.filter((r) => random() < 0.2 && !changed.has(r['role'] as string));
      const grantRows = [...grants.filter((r) => changed.has(r['role'] as string)), ...noise(grants)];
      const parentRows = random() < 0.5 ? { of: [...parents.filter((r) => changed.has(r['role'] as string)), ...noise(parents)] } : { all: parents };
      const differ = roles.replace(read, grantRows, parentRows);
      const next = rolesFromRows(grants, parents, springSecurityPreset, () => {});
      t.same(plain(roles.roles), plain(next), `step ${step}: read ${JSON.stringify(read)}`);
      const expected = new Set([...new Set([...full.keys(), ...next.keys()])].filter((name) => !sameRole(full.get(name), next.get(name))));
      t.same(differ, expected, `step ${step}: the roles named as changed are those that differ`);
      for (const name of next.keys()) if (!differ.has(name)) t.equal(roles.roles.get(name) !== undefined, true);
      full = next;
    }
  });
}

t.test('a role that did not change keeps its object, so whatever was built from it can be kept', async (t) => {
  const roles = new SqlRoles(springSecurityPreset, () => {});
  roles.replaceAll([{ role: 'group.a', code: 'a:read' }, { role: 'group.b', code: 'b:read' }], [{ role: 'group.b', parent: 'ROLE_X' }]);
  const [a, b] = [roles.roles.get('group.a'), roles.roles.get('group.b')];
  t.same(roles.replace(['group.a'], [{ role: 'group.a', code: 'a:write' }], { of: [] }), new Set(['group.a']));
  t.equal(roles.roles.get('group.b'), b, 'group.b untouched');
  t.not(roles.roles.get('group.a'), a);
  t.same(roles.roles.get('group.a'), { name: 'group.a', grants: ['a:write'], denies: [], inherits: [] });
  const after = roles.roles.get('group.a');
  t.same(roles.replace(['group.a'], [{ role: 'group.a', code: 'a:write' }], { of: [] }), new Set(), 'read again unchanged: nothing differs');
  t.equal(roles.roles.get('group.a'), after, 'and it keeps its object');
  t.same(roles.replace(['group.b'], [], { of: [] }), new Set(['group.b', 'X']), 'a role that lost every row is gone, and so is the parent only it named');
  t.same([...roles.roles.keys()], ['group.a']);
});
