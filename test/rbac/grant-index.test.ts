// The shared grant index (one index of every role's patterns, checked against the roles a subject holds) decides
// exactly as the obvious rule applied to each held role's patterns, on thousands of random policies: wildcard forms,
// comma lists, trailing `*`, codes of other lengths, the admin namespace, roles sharing patterns, and roles holding
// patterns a subject does not hold.
import fc from 'fast-check';
import t from 'tap';
import { GrantIndex } from '../../src/rbac/grant-index.js';
import { RoleGraph } from '../../src/rbac/role-graph.js';
import { parsePermissionPattern, patternCovers } from '../../src/rbac/permission-pattern.js';

const WORDS = ['a', 'b', 'c', 'permgate', 'admin', 'x.y'];
const word = fc.constantFrom(...WORDS);
const part = fc.oneof(
  { weight: 5, arbitrary: word },
  { weight: 2, arbitrary: fc.constant('*') },
  { weight: 1, arbitrary: fc.uniqueArray(word, { minLength: 2, maxLength: 3 }).map((list) => list.join(',')) },
);
const pattern = fc.array(part, { minLength: 1, maxLength: 4 }).map((parts) => parts.join(':'));
const code = fc.array(word, { minLength: 1, maxLength: 5 }).map((parts) => parts.join(':'));
const role = fc.record({ grants: fc.array(pattern, { maxLength: 6 }), denies: fc.array(pattern, { maxLength: 3 }) });

const obvious = (patterns: readonly string[], c: string): boolean => patterns.some((p) => patternCovers(parsePermissionPattern(p), c));

t.test('granted and denied agree with the obvious rule over the held roles', async (t) => {
  fc.assert(
    fc.property(fc.array(role, { minLength: 1, maxLength: 6 }), fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), fc.array(code, { minLength: 1, maxLength: 12 }), (roles, holds, codes) => {
      const index = new GrantIndex();
      roles.forEach((r, id) => index.add(id, r.grants, r.denies));
      const held = Int32Array.from(roles.flatMap((_, id) => (holds[id] ? [id] : [])));
      const heldRoles = roles.filter((_, id) => holds[id]);
      for (const c of codes) {
        const grants = heldRoles.flatMap((r) => r.grants);
        const denies = heldRoles.flatMap((r) => r.denies);
        if (index.granted(c, held) !== obvious(grants, c)) return false;
        if (index.denied(c, index.denying(held)) !== obvious(denies, c)) return false;
      }
      return true;
    }),
    { numRuns: 3_000 },
  );
  t.pass('3,000 random policies agree');
});

t.test('a pattern held by many roles is found for whichever of them a subject holds', async (t) => {
  const index = new GrantIndex();
  for (let id = 0; id < 300; id++) index.add(id, ['order:read:*', `order:write:${id}`], id % 7 === 0 ? ['order:read:secret'] : []);
  t.ok(index.granted('order:read:1', Int32Array.of(299)), 'the last of 300 holders');
  t.ok(index.granted('order:read:1', Int32Array.of(0)), 'the first');
  t.notOk(index.granted('order:read:1', Int32Array.of()), 'no role held: nothing granted');
  t.ok(index.granted('order:write:150', Int32Array.of(3, 150, 299)), 'a concrete code of one of the held roles');
  t.notOk(index.granted('order:write:150', Int32Array.of(3, 149, 151, 299)), "another role's concrete code is not granted");
  const many = Int32Array.from({ length: 40 }, (_, i) => 1 + i * 7);
  t.notOk(index.denied('order:read:secret', index.denying(many)), 'none of 40 held roles denies it (ids 1, 8, 15, …)');
  t.ok(index.denied('order:read:secret', index.denying(Int32Array.of(5, 14, 100))), 'role 14 denies it');
  t.same([...index.denying(Int32Array.of(0, 1, 7, 13, 14))], [0, 7, 14], 'only the denying roles are looked at');
});

t.test('a `*` first part never reaches the admin namespace; a pattern naming permgate does', async (t) => {
  const index = new GrantIndex();
  index.add(0, ['*', '*:admin:*', '*:*:*'], []);
  index.add(1, ['permgate:admin:*'], []);
  t.ok(index.granted('order:read', Int32Array.of(0)));
  t.notOk(index.granted('permgate:admin:rbac:write', Int32Array.of(0)));
  t.notOk(index.granted('permgate:admin', Int32Array.of(0)));
  t.ok(index.granted('permgate:admin:rbac:write', Int32Array.of(1)));
  t.ok(index.granted('permgate:adminx:y:z', Int32Array.of(0)), 'permgate:adminx is not the admin namespace');
});

t.test('a graph built from the one it replaces keeps the index of its unchanged roles and re-indexes a changed one', async (t) => {
  const role = (name: string, grants: string[], denies: string[] = []) => [name, { name, grants, denies, inherits: [] }] as const;
  const first = new RoleGraph(new Map([role('clerk', ['order:read']), role('auditor', ['log:read:*'], ['log:read:secret'])]));
  const clerkBefore = first.heldIds(['clerk']);
  const auditorBefore = first.heldIds(['auditor']);
  const second = new RoleGraph(new Map([role('clerk', ['order:read', 'order:write']), role('auditor', ['log:read:*'], ['log:read:secret'])]), first);
  t.equal(second.index, first.index, 'the index is carried over');
  t.same([...second.heldIds(['auditor'])], [...auditorBefore], 'the unchanged role keeps its id');
  const clerkAfter = second.heldIds(['clerk']);
  t.not(clerkAfter[0], clerkBefore[0], 'the changed role has a new id');
  t.ok(second.index.granted('order:write', clerkAfter), 'the new grant holds under the new id');
  t.notOk(second.index.granted('order:write', clerkBefore), 'a subject compiled against the old graph decides as it did');
  t.ok(second.index.denied('log:read:secret', second.index.denying(second.heldIds(['auditor']))), 'the carried-over deny holds');
  const third = new RoleGraph(new Map([role('auditor', ['log:read:*'], ['log:read:secret'])]), second);
  t.same([...third.heldIds(['auditor'])], [...auditorBefore], 'still the same id once clerk is deleted');
  t.same([...third.heldIds(['clerk'])], [], 'a deleted role holds nothing');
});

t.test('an index mostly of retired roles is not carried over', async (t) => {
  const big = Array.from({ length: 20_000 }, (_, i) => `order:read:${i}`);
  let graph = new RoleGraph(new Map([['bulk', { name: 'bulk', grants: big, denies: [], inherits: [] }]]));
  graph.heldIds(['bulk']);
  const index = graph.index;
  graph = new RoleGraph(new Map([['bulk', { name: 'bulk', grants: big.slice(1), denies: [], inherits: [] }]]), graph);
  t.equal(graph.index, index, 'nothing retired yet: carried over');
  graph.heldIds(['bulk']);
  graph = new RoleGraph(new Map([['bulk', { name: 'bulk', grants: big.slice(2), denies: [], inherits: [] }]]), graph);
  t.not(graph.index, index, 'retired entries outweigh the live ones: a new index');
  t.ok(graph.index.granted('order:read:5', graph.heldIds(['bulk'])));
  t.notOk(graph.index.granted('order:read:1', graph.heldIds(['bulk'])));
});
