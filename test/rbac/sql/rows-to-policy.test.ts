// Rows → policy without a database: scopes and expiry are read from the driver's values, and whatever cannot be read
// is reported and resolved toward denying (a grant dropped, a deny widened or kept everywhere), never guessed at.
import t from 'tap';
import { casbinPreset } from '../../../src/rbac/sql/presets/casbin.js';
import { ruoyi } from '../../../src/rbac/sql/presets/ruoyi.js';
import { springSecurityPreset } from '../../../src/rbac/sql/presets/spring-security.js';
import { rowsToRoles, rowsToSubject } from '../../../src/rbac/sql/rows-to-policy.js';
import type { BadPattern } from '../../../src/rbac/stored-policy.js';

function collect(): { report: (bad: BadPattern) => void; problems: BadPattern[] } {
  const problems: BadPattern[] = [];
  return { report: (bad) => void problems.push(bad), problems };
}

t.test('tenant and expires_at become the scope of a binding or grant; Date, number and text expiries agree', async (t) => {
  const { report, problems } = collect();
  const at = Date.parse('2027-01-01T00:00:00Z');
  const record = rowsToSubject(
    casbinPreset,
    'alice',
    [{ role: 'viewer', tenant: null, expires_at: null }, { role: 'admin', tenant: 'acme', expires_at: new Date(at) }],
    [{ code: 'order:read', effect: 'grant', tenant: 'acme', expires_at: at }, { code: 'order:write', effect: 'deny', tenant: null, expires_at: '2027-01-01T00:00:00Z' }],
    report,
  );
  t.same(record, {
    roles: [{ role: 'viewer' }, { role: 'admin', tenant: 'acme', expiresAt: at }],
    grants: [{ code: 'order:read', tenant: 'acme', expiresAt: at }],
    denies: [{ code: 'order:write', expiresAt: at }],
  });
  t.same(problems, []);
});

t.test('unreadable limits drop a binding or grant, and make a deny hold everywhere and forever', async (t) => {
  const { report, problems } = collect();
  const record = rowsToSubject(
    casbinPreset,
    'bob',
    [{ role: 'viewer', expires_at: 'next tuesday' }, { role: 'editor', tenant: 42 }],
    [{ code: 'order:read', expires_at: 'soon' }, { code: 'order:delete', effect: 'deny', tenant: 'has space', expires_at: null }],
    report,
  );
  t.same(record, { roles: [], grants: [], denies: [{ code: 'order:delete' }] });
  t.equal(problems.length, 4);
});

t.test('an effect other than grant or deny is read as a deny and reported', async (t) => {
  const { report, problems } = collect();
  const record = rowsToSubject(casbinPreset, 'carol', [], [{ code: 'order:read', effect: 'allow' }], report);
  t.same(record.denies, [{ code: 'order:read' }]);
  t.same(record.grants, []);
  t.match(problems, [{ pattern: 'allow', replacedBy: 'deny' }]);
});

t.test('a role name that is not one once mapped is dropped and reported, wherever it appears', async (t) => {
  const { report, problems } = collect();
  const roles = rowsToRoles(
    springSecurityPreset,
    [{ role: 'group.Project Managers', code: 'project:read' }, { role: 'group.ops', code: 'ops:read' }],
    [{ role: 'group.ops', parent: 'ROLE_' }, { role: 'group.ops', parent: 'ROLE_OPS' }, { role: 'group.ops', parent: 'group.ops' }],
    report,
  );
  t.same([...roles.keys()].sort(), ['OPS', 'group.ops']);
  t.same(roles.get('group.ops'), { name: 'group.ops', grants: ['ops:read'], denies: [], inherits: ['OPS'] }, 'a role never inherits itself');
  t.same(problems.map((p) => p.pattern), ['group.Project Managers', 'ROLE_']);
  const subject = rowsToSubject(springSecurityPreset, 'dave', [{ role: 'ROLE_has space' }, { role: 42 }], [], report);
  t.same(subject.roles, []);
});

t.test('a grant that maps to nothing is dropped; a deny that maps to nothing becomes * in the same scope', async (t) => {
  const { report, problems } = collect();
  const record = rowsToSubject(casbinPreset, 'erin', [], [{ code: '/admin/*:GET', effect: 'grant' }, { code: '/admin/*:GET', effect: 'deny', tenant: 'acme' }, { code: null }], report);
  t.same(record, { roles: [], grants: [], denies: [{ code: '*', tenant: 'acme' }] });
  t.same(problems.map((p) => p.replacedBy), [undefined, '*', undefined]);
  const roles = rowsToRoles(casbinPreset, [{ role: 'r', code: 'a:b,c', effect: 'deny' }], [], report);
  t.same(roles.get('r')!.denies, ['*'], 'a literal comma list is no code to Casbin: its deny is widened');
});

t.test('RuoYi perms are exact strings but for *:*:*: another * or a {subject} part grants nothing and is reported', async (t) => {
  const { report, problems } = collect();
  const roles = rowsToRoles(
    ruoyi,
    [
      { role: 'ops', code: 'system:user:list, system:user:query' },
      { role: 'ops', code: 'system:user:*' },
      { role: 'ops', code: 'user:edit:{subject}' },
      { role: 'admin', code: '*:*:*' },
    ],
    [],
    report,
  );
  t.same(roles.get('ops')!.grants, ['system:user:list', 'system:user:query']);
  t.same(roles.get('admin')!.grants, ['*'], 'RuoYi\'s own wildcard');
  t.same(problems.map((p) => p.pattern), ['system:user:*', 'user:edit:{subject}']);
});
