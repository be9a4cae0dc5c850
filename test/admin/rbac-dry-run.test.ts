// POST /admin/rbac/dry-run previews a change with the gateway's own engines and writes nothing: the entries as a
// diff, who gains and loses which codes (the reload diff's access engine), and the refusal the write would meet from
// this caller (self-edit, a config role). Bad changes are a 400 like the write's.
import t from 'tap';
import { consoleYaml, CONSOLE_ADMIN_TOKEN } from '../helpers/console-gateway.js';
import { gatewayWithUpstream, type GatewayUnderTest } from '../helpers/gateway-under-test.js';
import { token } from '../helpers/tokens.js';

async function admin(gw: GatewayUnderTest, method: string, path: string, body?: unknown, auth = CONSOLE_ADMIN_TOKEN) {
  const res = await fetch(`${gw.adminUrl}${path}`, { method, headers: { authorization: `Bearer ${auth}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

t.test('a binding previewed: alice gains order:delete, the diff shows the binding, and nothing is written', async (t) => {
  const { gw } = await gatewayWithUpstream(t, (url) => consoleYaml(url));
  const res = await admin(gw, 'POST', '/admin/rbac/dry-run', { subject: 'alice', record: { roles: [{ role: 'order-admin' }] } });
  t.equal(res.status, 200);
  t.same(res.json.entries, [{ change: '+', entry: 'role order-admin' }]);
  t.same(res.json.access, [{ holder: 'alice', kind: 'subject', on: 'order:delete', change: 'gains' }]);
  t.equal(res.json.refusal, null);
  t.same((await admin(gw, 'GET', '/admin/rbac/subjects/alice')).json.dynamic.roles, [], 'nothing was written');
});

t.test('a role change previewed names every holder who gains or loses, token roles included', async (t) => {
  const { gw } = await gatewayWithUpstream(t, (url) => consoleYaml(url));
  t.equal((await admin(gw, 'PUT', '/admin/rbac/roles/support', { grants: ['order:read'] })).status, 200);
  t.equal((await admin(gw, 'POST', '/admin/rbac/subjects/bob/roles', { role: 'support' })).status, 201);
  const res = await admin(gw, 'POST', '/admin/rbac/dry-run', { role: 'support', definition: { grants: ['order:read', 'order:delete'] } });
  t.same(res.json.entries, [{ change: '+', entry: 'grant order:delete' }]);
  t.same(res.json.access.map((a: { holder: string; kind: string; on: string; change: string }) => `${a.holder} ${a.kind} ${a.on} ${a.change}`).sort(), ['bob subject order:delete gains', 'support token-role order:delete gains']);
  const gone = await admin(gw, 'POST', '/admin/rbac/dry-run', { role: 'support', delete: true });
  t.ok(gone.json.access.some((a: { holder: string; on: string; change: string }) => a.holder === 'bob' && a.on === 'order:read' && a.change === 'loses'), 'deleting it: bob loses order:read');
});

t.test('the preview carries the refusal the write would meet: self-edit for a JWT admin, a config role for anyone', async (t) => {
  const { gw } = await gatewayWithUpstream(t, (url) => consoleYaml(url));
  const jane = await token({ sub: 'jane', scope: undefined });
  const own = await admin(gw, 'POST', '/admin/rbac/dry-run', { subject: 'jane', record: { grants: [{ code: 'order:delete' }] } }, jane);
  t.match(own.json.refusal, { code: 'PG_ADMIN_FORBIDDEN', detail: /their own roles/ });
  const held = await admin(gw, 'POST', '/admin/rbac/dry-run', { role: 'console-admin', definition: { grants: ['*'] } }, jane);
  t.match(held.json.refusal, { code: 'PG_ADMIN_CONFLICT', detail: /config file/ });
  t.equal((await admin(gw, 'PUT', '/admin/rbac/roles/helpers', { grants: [] })).status, 200);
  t.equal((await admin(gw, 'POST', '/admin/rbac/subjects/jane/roles', { role: 'helpers' })).status, 201);
  const bound = await admin(gw, 'POST', '/admin/rbac/dry-run', { role: 'helpers', definition: { inherits: ['console-admin'] } }, jane);
  t.match(bound.json.refusal, { code: 'PG_ADMIN_FORBIDDEN', detail: /a role they hold/ });
  t.equal((await admin(gw, 'POST', '/admin/rbac/dry-run', { subject: 'alice', record: { roles: [{ role: 'viewer' }] } }, jane)).json.refusal, null, 'another subject is fine');
});

t.test('a bad change is refused like the write: unknown role, a cycle, an expiry in the past, a mixed body', async (t) => {
  const { gw } = await gatewayWithUpstream(t, (url) => consoleYaml(url));
  const bad = { status: 400, json: { error: { code: 'PG_ADMIN_BAD_INPUT' } } };
  t.match(await admin(gw, 'POST', '/admin/rbac/dry-run', { subject: 'alice', record: { roles: [{ role: 'nope' }] } }), bad);
  t.match(await admin(gw, 'POST', '/admin/rbac/dry-run', { role: 'a', definition: { inherits: ['a'] } }), bad);
  t.match(await admin(gw, 'POST', '/admin/rbac/dry-run', { subject: 'alice', record: { grants: [{ code: 'x:y', expires: '2001-01-01T00:00:00Z' }] } }), bad);
  t.match(await admin(gw, 'POST', '/admin/rbac/dry-run', { subject: 'alice', role: 'viewer' }), bad);
  t.match(await admin(gw, 'POST', '/admin/rbac/dry-run', { role: 'viewer', definition: { grants: [] }, delete: true }), bad);
});

t.test('the preview needs permgate:admin:rbac:read', async (t) => {
  const { gw } = await gatewayWithUpstream(t, (url) => consoleYaml(url));
  const alice = await token({ sub: 'alice' });
  t.match(await admin(gw, 'POST', '/admin/rbac/dry-run', { subject: 'bob', record: {} }, alice), { status: 403, json: { error: { code: 'PG_ADMIN_FORBIDDEN' } } });
});
