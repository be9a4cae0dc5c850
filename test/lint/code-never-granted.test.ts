// A code a route requires that no grant can satisfy, scoped codes and wildcards taken into account: a warning.
import t from 'tap';
import { findingsOf } from '../helpers/lint-of.js';

const routes = `routes:
  - { path: /reports, upstream: svc, permission: report:read }
  - { path: "/channels/:channelId/delete", upstream: svc, methods: [POST], permission: "channel:delete:{channelId}" }
`;

t.test('report:read and channel:delete:{channelId} with no grant that meets them: one warning each, at the permission', async (t) => {
  const findings = findingsOf('code-never-granted', `${routes}rbac:\n  subjects:\n    ann: { grants: [order:read, "channel:read:*"] }\n`);
  t.equal(findings.length, 2);
  t.match(findings[0], { severity: 'warning', place: { line: 5, keyPath: 'routes[0].permission' } });
  t.match(findings[0]!.message, /\/reports requires report:read/);
  t.match(findings[1]!.message, /requires channel:delete:\{channelId\}/);
});

t.test('a grant of one object (channel:delete:42), a trailing * and a role grant all satisfy', async (t) => {
  t.same(findingsOf('code-never-granted', `${routes}rbac:\n  roles:\n    r: { grants: ["report:*"] }\n  subjects:\n    ann: { roles: [r], grants: ["channel:delete:42"] }\n`), []);
  t.same(findingsOf('code-never-granted', `${routes}rbac:\n  subjects:\n    ann: { grants: ["*"] }\n`), []);
});

t.test('with rbac.tokenScopes, tokens may carry any code: nothing is reported', async (t) => {
  t.same(findingsOf('code-never-granted', `${routes}rbac:\n  tokenScopes: true\n`), []);
});
