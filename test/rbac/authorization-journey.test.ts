// Authorization on the request path: each request is allowed only if the caller holds what its route requires, in
// its tenant; a refusal is a 403 naming the code (or not, as configured), counted by route and reason, audited, and
// never forwarded.
import t from 'tap';
import { gatewayWithUpstream, type GatewayUnderTest } from '../helpers/gateway-under-test.js';
import { hsAuth, token } from '../helpers/tokens.js';

const POLICY = `
rbac:
  roles:
    viewer:  { grants: [order:read, channel:read:*] }
    editor:  { inherits: [viewer], grants: [order:write] }
    auditor: { grants: ["admin:*"], denies: ["admin:users:*"] }
  subjects:
    alice: { roles: [editor] }
    bob:   { roles: [viewer], grants: [channel:delete:42] }
    carol: { roles: [{ role: editor, tenant: acme }] }
    aud:   { roles: [auditor] }
`;

function yaml(upstream: string, rbacExtra = ''): string {
  return `${hsAuth({ jwt: 'claims: { roles: roles }' })}${POLICY}${rbacExtra}upstreams:
  svc: { url: "${upstream}" }
routes:
  - path: /api/orders/**
    upstream: svc
    permission: { GET: order:read, POST: order:write, DELETE: order:delete }
  - { path: "/api/channels/:channelId/delete", upstream: svc, methods: [POST], permission: "channel:delete:{channelId}" }
  - { path: "/t/:tenant/orders/**", upstream: svc, permission: { GET: order:read, POST: order:write }, tenantParam: tenant }
  - { path: /admin/users/**, upstream: svc, permission: "admin:users:list" }
  - { path: /both, upstream: svc, methods: [GET], permission: [order:read, order:write] }
  - { path: /either, upstream: svc, methods: [GET], permission: { any: [order:delete, order:read] } }
`;
}

async function call(gw: GatewayUnderTest, method: string, path: string, claims: Record<string, unknown>): Promise<{ status: number; body: { error?: { code: string; detail?: string } } }> {
  const res = await fetch(`${gw.url}${path}`, { method, headers: { authorization: `Bearer ${await token({ scope: undefined, ...claims })}` } });
  const text = await res.text();
  return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : {} };
}

t.test('roles from the config decide; the upstream sees only what was allowed', async (t) => {
  const { gw, upstream } = await gatewayWithUpstream(t, (u) => yaml(u));
  t.equal((await call(gw, 'GET', '/api/orders/1', { sub: 'alice' })).status, 200, 'inherited order:read');
  t.equal((await call(gw, 'POST', '/api/orders/1', { sub: 'alice' })).status, 200);
  const refused = await call(gw, 'DELETE', '/api/orders/1', { sub: 'alice' });
  t.equal(refused.status, 403);
  t.same(refused.body.error && { code: refused.body.error.code, detail: refused.body.error.detail }, { code: 'PG_FORBIDDEN', detail: 'missing permission order:delete' });
  t.same(upstream.requests.map((r) => `${r.method} ${r.target}`), ['GET /api/orders/1', 'POST /api/orders/1'], 'the refused request never reached the upstream');
});

t.test('scoped codes from the path: who may delete channel 42 may not delete 43', async (t) => {
  const { gw } = await gatewayWithUpstream(t, (u) => yaml(u));
  t.equal((await call(gw, 'POST', '/api/channels/42/delete', { sub: 'bob' })).status, 200);
  const other = await call(gw, 'POST', '/api/channels/43/delete', { sub: 'bob' });
  t.equal(other.status, 403);
  t.equal(other.body.error?.detail, 'missing permission channel:delete:43');
  t.equal((await call(gw, 'POST', '/api/channels/42/delete', { sub: 'alice' })).status, 403);
});

t.test('a deny beats the wildcard grant and says so', async (t) => {
  const { gw } = await gatewayWithUpstream(t, (u) => yaml(u));
  const res = await call(gw, 'GET', '/admin/users/all', { sub: 'aud' });
  t.equal(res.status, 403);
  t.equal(res.body.error?.detail, 'permission admin:users:list is denied');
});

t.test('tenant from the path: a binding in acme grants nothing in globex', async (t) => {
  const { gw } = await gatewayWithUpstream(t, (u) => yaml(u));
  t.equal((await call(gw, 'POST', '/t/acme/orders/1', { sub: 'carol' })).status, 200);
  t.equal((await call(gw, 'POST', '/t/globex/orders/1', { sub: 'carol' })).status, 403);
  t.equal((await call(gw, 'GET', '/api/orders/1', { sub: 'carol' })).status, 403, 'a route without a tenant parameter uses the token tenant (none here)');
  t.equal((await call(gw, 'GET', '/api/orders/1', { sub: 'carol', tid: 'acme' })).status, 200, '…and the token claim when there is one');
  t.equal((await call(gw, 'GET', '/t/globex/orders/1', { sub: 'dave', roles: ['viewer'], tid: 'acme' })).status, 403, 'token roles hold only in the token tenant');
  t.equal((await call(gw, 'GET', '/t/acme/orders/1', { sub: 'dave', roles: ['viewer'], tid: 'acme' })).status, 200);
});

t.test('all and any', async (t) => {
  const { gw } = await gatewayWithUpstream(t, (u) => yaml(u));
  t.equal((await call(gw, 'GET', '/both', { sub: 'bob' })).status, 403);
  t.equal((await call(gw, 'GET', '/both', { sub: 'alice' })).status, 200);
  t.equal((await call(gw, 'GET', '/either', { sub: 'bob' })).status, 200);
  t.equal((await call(gw, 'GET', '/either', { sub: 'nobody' })).status, 403);
});

t.test('denials are counted by route and reason, and audited with subject, route and code', async (t) => {
  const { gw } = await gatewayWithUpstream(t, (u) => yaml(u));
  await call(gw, 'DELETE', '/api/orders/9', { sub: 'alice' });
  await call(gw, 'GET', '/admin/users/x', { sub: 'aud' });
  const metrics = await gw.gateway.metrics.registry.metrics();
  t.match(metrics, /permgate_authorization_denials_total\{route="\/api\/orders\/\*\*",reason="missing"\} 1/);
  t.match(metrics, /permgate_authorization_denials_total\{route="\/admin\/users\/\*\*",reason="denied"\} 1/);
  const audit = await gw.gateway.audit.recent(10);
  t.match(audit, [
    { actor: 'aud', action: 'request.denied', target: '/admin/users/**', after: { method: 'GET', path: '/admin/users/x', code: 'admin:users:list', reason: 'denied' } },
    { actor: 'alice', action: 'request.denied', target: '/api/orders/**', after: { code: 'order:delete', reason: 'missing' } },
  ]);
});

t.test('a flood of denials is audited up to rbac.auditDenials per second; the rest only counted', async (t) => {
  const { gw } = await gatewayWithUpstream(t, (u) => yaml(u, '  auditDenials: 2\n'));
  for (let i = 0; i < 5; i++) t.equal((await call(gw, 'DELETE', `/api/orders/${i}`, { sub: 'alice' })).status, 403);
  t.equal((await gw.gateway.audit.recent(100)).filter((e) => e.action === 'request.denied').length, 2);
  t.match(await gw.gateway.metrics.registry.metrics(), /permgate_audit_dropped_total 3/);
});

t.test('rbac.exposeMissingCode: false keeps the 403 generic', async (t) => {
  const { gw } = await gatewayWithUpstream(t, (u) => yaml(u, '  exposeMissingCode: false\n'));
  const res = await call(gw, 'DELETE', '/api/orders/1', { sub: 'alice' });
  t.equal(res.status, 403);
  t.equal(res.body.error?.code, 'PG_FORBIDDEN');
  t.equal(res.body.error?.detail, undefined);
});
