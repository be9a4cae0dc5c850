// Grants no route requires (an interface removed, perhaps to be re-added): a warning listing each, with its holder.
import t from 'tap';
import { findingsOf } from '../helpers/lint-of.js';

const routes = `routes:
  - { path: /orders, upstream: svc, permission: { GET: order:read } }
  - { path: "/channels/:channelId/delete", upstream: svc, methods: [POST], permission: "channel:delete:{channelId}" }
`;

t.test('legacy:export in a role and order:archive in a subject are dangling: each named with its holder and line', async (t) => {
  const findings = findingsOf('grant-matches-no-route', `${routes}rbac:
  roles:
    clerk: { grants: [order:read, legacy:export] }
  subjects:
    ann: { roles: [clerk], grants: [{ code: order:archive, tenant: t1 }] }
`);
  t.equal(findings.length, 2);
  t.match(findings[0], { severity: 'warning', place: { line: 9, keyPath: 'rbac.roles.clerk.grants[1]' } });
  t.match(findings[0]!.message, /role clerk is granted legacy:export/);
  t.match(findings[1], { place: { line: 11, keyPath: 'rbac.subjects.ann.grants[0]' } });
  t.match(findings[1]!.message, /subject ann is granted order:archive/);
});

t.test('grants that meet a route (one object of a scoped code, wildcards) and admin-API grants are quiet', async (t) => {
  const findings = findingsOf('grant-matches-no-route', `${routes}rbac:
  subjects:
    ann: { grants: [order:read, "channel:delete:42", "channel:*", "order:read,write", "permgate:admin:*", "*"] }
`);
  t.same(findings, []);
});

t.test("a code only a websocket route's handshake requires (WEBSOCKET) meets that route", async (t) => {
  const findings = findingsOf('grant-matches-no-route', `routes:
  - { path: /chat/**, upstream: svc, permission: { GET: chat:read, WEBSOCKET: chat:join }, websocket: true }
rbac:
  subjects:
    ann: { grants: [chat:read, chat:join] }
`);
  t.same(findings, []);
});
