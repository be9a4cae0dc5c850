// A role no subject is bound to, directly or through inheritance, while tokens carry no roles: a warning.
import t from 'tap';
import { findingsOf } from '../helpers/lint-of.js';

const policy = `routes:
  - { path: /o, upstream: svc, permission: o:read }
rbac:
  roles:
    base: { grants: [o:read] }
    user: { inherits: [base] }
    spare: { grants: [o:read] }
  subjects:
    ann: { roles: [user] }
`;

t.test('spare is held by nobody; base is held through user, which ann holds', async (t) => {
  const findings = findingsOf('role-held-by-nobody', policy);
  t.equal(findings.length, 1);
  t.match(findings[0], { severity: 'warning', place: { keyPath: 'rbac.roles.spare', line: 10 } });
});

t.test('when auth.jwt.claims.roles maps token roles, any role may be held by a token: nothing is reported', async (t) => {
  const auth = `auth:\n  jwt:\n    algorithms: [HS256]\n    secret: "${'s'.repeat(40)}"\n    issuer: i\n    audience: a\n    claims: { roles: roles }\n`;
  t.same(findingsOf('role-held-by-nobody', auth + policy), []);
});
