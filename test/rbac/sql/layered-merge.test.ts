// How the SQL source's rows and the store's records merge (README "A SQL source"): bindings, grants and denies are
// unioned; a role in both is one role with the union of grants, denies and inherits; rows become roles and records
// through the preset's mappings, and a row that means nothing is left out or read as a deny, never as a grant.
import t from 'tap';
import type { RoleDefinition } from '../../../src/rbac/model.js';
import { ruoyi } from '../../../src/rbac/sql/presets/ruoyi.js';
import { mergeRecords, mergeRoleMaps } from '../../../src/rbac/sql/layered-rbac-store.js';
import { columnProblem, rolesFromRows, subjectFromRows, AS_WRITTEN } from '../../../src/rbac/sql/sql-rows.js';

const role = (name: string, grants: string[], denies: string[] = [], inherits: string[] = []): RoleDefinition => ({ name, grants, denies, inherits });

t.test('a role in SQL and in the store is one role with the union of both', async (t) => {
  const merged = mergeRoleMaps(new Map([['ops', role('ops', ['a:read'], [], ['base'])], ['base', role('base', [])]]), new Map([['ops', role('ops', ['a:write', 'a:read'], ['a:delete'])]]));
  t.same(merged.get('ops'), { name: 'ops', grants: ['a:read', 'a:write'], denies: ['a:delete'], inherits: ['base'], description: undefined });
  t.ok(merged.has('base'));
});

t.test("a subject's SQL rows and store record are unioned, denies included", async (t) => {
  const sql = { roles: [{ role: 'sales' }], grants: [{ code: 'a:read' }], denies: [] };
  const stored = { roles: [{ role: 'ops', tenant: 't1' }], grants: [], denies: [{ code: 'a:read' }] };
  t.same(mergeRecords(stored, sql), { roles: [{ role: 'ops', tenant: 't1' }, { role: 'sales' }], grants: [{ code: 'a:read' }], denies: [{ code: 'a:read' }] });
  t.equal(mergeRecords(undefined, { roles: [], grants: [], denies: [] }), undefined, 'nothing anywhere: no record');
});

t.test('rows become roles through the preset; bad rows are reported, never a grant', async (t) => {
  const reports: string[] = [];
  const roles = rolesFromRows(
    [
      { role: 'sales', code: 'biz:order:audit, biz:order:approve' },
      { role: 'sales', code: '' },
      { role: 'root', code: '*:*:*' },
      { role: 'bad name!', code: 'x:y' },
      { role: 'sales', code: 'biz:order:remove', effect: 'maybe' },
    ],
    [{ role: 'sales', parent: 'viewer' }],
    ruoyi,
    (where, reason) => reports.push(`${where}: ${reason}`),
  );
  t.same(roles.get('sales'), { name: 'sales', grants: ['biz:order:approve', 'biz:order:audit'], denies: ['biz:order:remove'], inherits: ['viewer'] });
  t.same(roles.get('root')?.grants, ['*'], '*:*:* is everything');
  t.same(roles.get('viewer'), { name: 'viewer', grants: [], denies: [], inherits: [] }, 'a parent named only as a parent exists');
  t.notOk(roles.has('bad name!'));
  t.equal(reports.length, 2, reports.join('\n'));
  const record = subjectFromRows([{ role: 'sales', expires_at: new Date(5_000), tenant: 't1' }], [{ code: 'a:b', effect: 'DENY' }], AS_WRITTEN, () => {});
  t.same(record, { roles: [{ role: 'sales', tenant: 't1', expiresAt: 5_000 }], grants: [], denies: [{ code: 'a:b' }] });
});

t.test("a query's columns are checked by name, case aside", async (t) => {
  t.equal(columnProblem('roleGrants', ['ROLE', 'code']), undefined);
  t.match(columnProblem('roleGrants', ['role', 'perms']), /returns no code column/);
  t.match(columnProblem('subjectRoles', ['role', 'role']), /returns role twice/);
  t.match(columnProblem('version', ['version', 'at']), /returns at, which is not one of version/);
});
