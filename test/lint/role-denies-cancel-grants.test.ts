// A role whose own denies (inherited ones included) cover every grant it holds allows nothing: a warning.
import t from 'tap';
import { findingsOf } from '../helpers/lint-of.js';

t.test('denies that cover every grant, directly or through inheritance, are reported per role', async (t) => {
  const findings = findingsOf('role-denies-cancel-grants', `routes:
  - { path: /a, upstream: svc, permission: { GET: a:read, POST: a:write } }
rbac:
  roles:
    locked: { grants: [a:read, "a:write"], denies: ["a:*"] }
    parent: { grants: ["a:read,write"] }
    child: { inherits: [parent], denies: ["a:read,write"] }
  subjects:
    ann: { roles: [locked, child] }
`);
  t.same(findings.map((f) => f.place.kind === 'config' && f.place.keyPath).sort(), ['rbac.roles.child', 'rbac.roles.locked']);
  t.ok(findings.every((f) => f.severity === 'warning'));
});

t.test('a deny narrower than a grant, or * against an admin grant, leaves something allowed: quiet', async (t) => {
  const findings = findingsOf('role-denies-cancel-grants', `routes:
  - { path: /a, upstream: svc, permission: { GET: a:read, POST: a:write } }
rbac:
  roles:
    partial: { grants: ["a:*"], denies: [a:write] }
    lists: { grants: ["a:read,write"], denies: [a:read] }
    admin: { grants: ["permgate:admin:*"], denies: ["*"] }
  subjects:
    ann: { roles: [partial, lists, admin] }
`);
  t.same(findings, []);
});
