// The RBAC admin API: changes take effect at once, are validated whole (bad input is a 400 that writes nothing),
// are attributed to a person when made with a JWT, cannot touch the caller's own bindings, and are audited.
import t from 'tap';
import { gatewayWithUpstream, type GatewayUnderTest } from '../helpers/gateway-under-test.js';
import { hsAuth, token } from '../helpers/tokens.js';

const ADMIN = 'rbac-admin-token-of-this-test-0123456789';

function yaml(upstream: string): string {
  return `
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0, token: ${ADMIN}, jwt: true }
${hsAuth()}
rbac:
  tokenScopes: true
  roles:
    viewer: { grants: [order:read] }
    rbac-admin: { grants: ["permgate:admin:*"] }
    rbac-reader: { grants: ["permgate:admin:*:read"] }
  subjects:
    root: { roles: [rbac-admin] }
    reader: { roles: [rbac-reader] }
upstreams:
  svc: { url: "${upstream}" }
routes:
  - { path: /api/orders/**, upstream: svc, permission: { GET: order:read, POST: order:write } }
  - { path: "/api/channels/:id/delete", upstream: svc, methods: [POST], permission: "channel:delete:{id}", sensitive: true }
`;
}

type Reply = { status: number; json: Record<string, any> };

async function admin(gw: GatewayUnderTest, method: string, path: string, body?: unknown, auth = ADMIN): Promise<Reply> {
  const res = await fetch(`${gw.adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${auth}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

async function status(gw: GatewayUnderTest, method: string, path: string, sub: string): Promise<number> {
  return (await fetch(`${gw.url}${path}`, { method, headers: { authorization: `Bearer ${await token({ sub, scope: undefined })}` } })).status;
}

t.test('a binding added through the API holds at once, and stops when removed', async (t) => {
  const { gw } = await gatewayWithUpstream(t, yaml);
  t.equal(await status(gw, 'GET', '/api/orders/1', 'zoe'), 403);
  const added = await admin(gw, 'POST', '/admin/rbac/subjects/zoe/roles', { role: 'viewer' });
  t.equal(added.status, 201);
  t.same(added.json.after, { roles: [{ role: 'viewer' }], grants: [], denies: [] });
  t.equal(await status(gw, 'GET', '/api/orders/1', 'zoe'), 200);
  t.equal((await admin(gw, 'DELETE', '/admin/rbac/subjects/zoe/roles/viewer')).status, 200);
  t.equal(await status(gw, 'GET', '/api/orders/1', 'zoe'), 403);
  t.equal((await admin(gw, 'DELETE', '/admin/rbac/subjects/zoe/roles/viewer')).json.error.code, 'PG_ADMIN_NOT_FOUND');
});

t.test('scoped grants and denies, with tenant and expiry', async (t) => {
  const { gw } = await gatewayWithUpstream(t, yaml);
  t.equal((await admin(gw, 'POST', '/admin/rbac/subjects/yan/grants', { code: 'channel:delete:42', expires: '2099-01-01T00:00:00Z' })).status, 201);
  t.equal(await status(gw, 'POST', '/api/channels/42/delete', 'yan'), 200);
  t.equal(await status(gw, 'POST', '/api/channels/43/delete', 'yan'), 403);
  await admin(gw, 'POST', '/admin/rbac/subjects/yan/grants', { code: 'order:*' });
  await admin(gw, 'POST', '/admin/rbac/subjects/yan/denies', { code: 'order:write' });
  t.equal(await status(gw, 'GET', '/api/orders/1', 'yan'), 200);
  t.equal(await status(gw, 'POST', '/api/orders/1', 'yan'), 403, 'the deny beats order:*');
  const view = await admin(gw, 'GET', '/admin/rbac/subjects/yan');
  t.same(view.json.dynamic, {
    roles: [],
    grants: [{ code: 'channel:delete:42', expires: '2099-01-01T00:00:00.000Z' }, { code: 'order:*' }],
    denies: [{ code: 'order:write' }],
  });
  t.equal((await admin(gw, 'DELETE', '/admin/rbac/subjects/yan/denies?code=order:write')).status, 200);
  t.equal(await status(gw, 'POST', '/api/orders/1', 'yan'), 200);
});

t.test('bad input is a 400 with a clear detail, and nothing is written', async (t) => {
  const { gw } = await gatewayWithUpstream(t, yaml);
  await admin(gw, 'POST', '/admin/rbac/subjects/kim/roles', { role: 'viewer' });
  const before = (await admin(gw, 'GET', '/admin/rbac/subjects/kim')).json;
  const auditBefore = (await gw.gateway.audit.recent(100)).length;
  const bad: [string, string, unknown, RegExp][] = [
    ['POST', '/admin/rbac/subjects/kim/roles', { role: 'no-such-role' }, /not defined/],
    ['POST', '/admin/rbac/subjects/kim/roles', { role: 'viewer', expires: '2001-01-01T00:00:00Z' }, /past/],
    ['POST', '/admin/rbac/subjects/kim/roles', { role: 'viewer', expires: 'next week' }, /date-time/],
    ['POST', '/admin/rbac/subjects/kim/roles', { role: 'viewer', extra: 1 }, /unknown field "extra"/],
    ['POST', '/admin/rbac/subjects/kim/grants', { code: 'order::read' }, /empty part/],
    ['POST', '/admin/rbac/subjects/kim/grants', { code: 'order:re ad' }, /not a part/],
    ['POST', '/admin/rbac/subjects/kim/grants', { code: 'x', tenant: 'has space' }, /tenant/],
    ['POST', '/admin/rbac/subjects/kim/grants', [1], /JSON object/],
    ['PUT', '/admin/rbac/subjects/kim', { roles: [{ role: 'viewer' }], grants: ['not-an-object'] }, /JSON object/],
    ['PUT', '/admin/rbac/roles/loop', { inherits: ['loop'] }, /cycle: loop → loop/],
    ['PUT', '/admin/rbac/roles/orphan', { inherits: ['ghost'] }, /inherits "ghost", which is not defined/],
    ['PUT', '/admin/rbac/roles/bad name', { grants: [] }, /role/],
    ['POST', '/admin/rbac/subjects/kim/grants', { code: 'x', revokeTokens: 'maybe' }, /revokeTokens/],
  ];
  for (const [method, path, body, detail] of bad) {
    const res = await admin(gw, method, path, body);
    t.equal(res.status, 400, `${method} ${path} ${JSON.stringify(body)}`);
    t.equal(res.json.error.code, 'PG_ADMIN_BAD_INPUT');
    t.match(res.json.error.detail, detail);
  }
  t.same((await admin(gw, 'GET', '/admin/rbac/subjects/kim')).json, before, 'the subject is unchanged');
  t.equal((await gw.gateway.audit.recent(100)).length, auditBefore, 'nothing was audited');
  t.equal((await admin(gw, 'GET', '/admin/rbac/roles')).json.roles.length, 3, 'no role was created');
});

t.test('roles: create, inherit, replace, delete; config roles are read-only', async (t) => {
  const { gw } = await gatewayWithUpstream(t, yaml);
  t.equal((await admin(gw, 'PUT', '/admin/rbac/roles/writer', { inherits: ['viewer'], grants: ['order:write'], description: 'writes orders' })).status, 200);
  await admin(gw, 'POST', '/admin/rbac/subjects/lee/roles', { role: 'writer' });
  t.equal(await status(gw, 'POST', '/api/orders/1', 'lee'), 200);
  t.equal(await status(gw, 'GET', '/api/orders/1', 'lee'), 200, 'inherited from a config role');
  await admin(gw, 'PUT', '/admin/rbac/roles/writer', { inherits: ['viewer'], grants: [] });
  t.equal(await status(gw, 'POST', '/api/orders/1', 'lee'), 403, 'replacing the role takes effect for its holders at once');
  await admin(gw, 'PUT', '/admin/rbac/roles/chief', { inherits: ['writer'] });
  t.match((await admin(gw, 'DELETE', '/admin/rbac/roles/writer')).json.error, { code: 'PG_ADMIN_BAD_INPUT', detail: /"chief" inherits "writer"/ });
  t.match((await admin(gw, 'PUT', '/admin/rbac/roles/viewer', { grants: ['*'] })).json.error, { code: 'PG_ADMIN_CONFLICT', detail: /config file/ });
  const roles = (await admin(gw, 'GET', '/admin/rbac/roles')).json.roles as { name: string; source: string }[];
  t.same(roles.map((r) => `${r.name}:${r.source}`).sort(), ['chief:admin', 'rbac-admin:config', 'rbac-reader:config', 'viewer:config', 'writer:admin']);
  t.same((await admin(gw, 'GET', '/admin/rbac/roles/chief')).json.role.holds, ['chief', 'writer', 'viewer']);
});

t.test('JWT admins: changes are attributed to the person; nobody edits their own bindings; codes are checked', async (t) => {
  const { gw } = await gatewayWithUpstream(t, yaml);
  const root = await token({ sub: 'root' });
  const reader = await token({ sub: 'reader' });
  const added = await admin(gw, 'POST', '/admin/rbac/subjects/max/roles', { role: 'viewer' }, root);
  t.equal(added.status, 201);
  t.match((await gw.gateway.audit.recent(1))[0], { actor: 'root', action: 'rbac.binding.add', target: 'max', before: { roles: [] }, after: { roles: [{ role: 'viewer' }] } });
  const self = await admin(gw, 'POST', '/admin/rbac/subjects/root/grants', { code: '*' }, root);
  t.equal(self.status, 403);
  t.match(self.json.error, { code: 'PG_ADMIN_FORBIDDEN', detail: /own roles or grants/ });
  t.equal((await admin(gw, 'DELETE', '/admin/rbac/subjects/root', undefined, root)).status, 403, 'not even to remove them');
  t.equal((await admin(gw, 'GET', '/admin/rbac/subjects/max', undefined, reader)).status, 200, 'a reader reads');
  const write = await admin(gw, 'POST', '/admin/rbac/subjects/max/roles', { role: 'viewer' }, reader);
  t.match(write, { status: 403, json: { error: { code: 'PG_ADMIN_FORBIDDEN', detail: 'missing permission permgate:admin:rbac:write' } } });
  t.equal((await admin(gw, 'GET', '/admin/rbac/roles', undefined, await token({ sub: 'max' }))).status, 403, 'a plain user is no admin');
  t.equal((await admin(gw, 'GET', '/admin/rbac/roles', undefined, 'a.b.c')).json.error.code, 'PG_ADMIN_UNAUTHORIZED');
  t.equal((await admin(gw, 'GET', '/admin/rbac/roles', undefined, 'not-the-token')).json.error.code, 'PG_ADMIN_UNAUTHORIZED');
  t.equal((await admin(gw, 'GET', '/admin/rbac/roles', undefined, await token({ sub: 'root', aud: 'elsewhere' }))).json.error.code, 'PG_ADMIN_UNAUTHORIZED');
  t.equal((await admin(gw, 'POST', '/admin/rbac/subjects/root/grants', { code: 'x' })).status, 201, 'the admin token is nobody, so it may');
});

t.test('a change may revoke the subject\'s existing tokens', async (t) => {
  const { gw } = await gatewayWithUpstream(t, yaml);
  await admin(gw, 'POST', '/admin/rbac/subjects/ned/roles', { role: 'viewer' });
  const old = await token({ sub: 'ned', iat: Math.floor(Date.now() / 1000) - 5 });
  const get = async (jwt: string) => (await fetch(`${gw.url}/api/orders/1`, { headers: { authorization: `Bearer ${jwt}` } })).status;
  t.equal(await get(old), 200);
  const res = await admin(gw, 'DELETE', '/admin/rbac/subjects/ned/roles/viewer?revokeTokens=true');
  t.equal(res.json.tokensRevoked, true);
  t.equal(await get(old), 401, 'the old token is revoked, not only powerless');
  t.match((await gw.gateway.audit.recent(2)).map((e) => e.action), ['revocation.subject', 'rbac.binding.remove']);
});

t.test('GET /admin/decision explains: route, required codes, and the grants or the deny behind the answer', async (t) => {
  const { gw } = await gatewayWithUpstream(t, yaml);
  await admin(gw, 'POST', '/admin/rbac/subjects/ola/roles', { role: 'viewer', tenant: 'acme' });
  await admin(gw, 'POST', '/admin/rbac/subjects/ola/denies', { code: 'channel:delete:*' });
  const allow = await admin(gw, 'GET', '/admin/decision?sub=ola&tenant=acme&method=GET&path=/api/orders/5');
  t.match(allow.json, {
    decision: 'allow',
    route: { pattern: '/api/orders/**', upstream: 'svc' },
    required: { mode: 'all', codes: ['order:read'] },
    codes: [{ code: 'order:read', allowed: true, grantedBy: [{ pattern: 'order:read', via: 'role viewer (bound by admin in tenant acme)' }] }],
  });
  const elsewhere = await admin(gw, 'GET', '/admin/decision?sub=ola&tenant=globex&method=GET&path=/api/orders/5');
  t.match(elsewhere.json, { decision: 'deny', codes: [{ allowed: false, grantedBy: [], deniedBy: [] }] });
  const deny = await admin(gw, 'POST', '/admin/decision', { token: await token({ sub: 'ola', scope: 'channel:delete:9' }), method: 'POST', path: '/api/channels/9/delete' });
  t.match(deny.json, { decision: 'deny', codes: [{ code: 'channel:delete:9', deniedBy: [{ pattern: 'channel:delete:*', via: 'direct deny (admin)' }], grantedBy: [{ via: 'token scope' }] }] });
  t.match((await admin(gw, 'GET', '/admin/decision?sub=ola&method=GET&path=/nowhere')).json, { decision: 'refused', refusedWith: 'PG_ROUTE_NOT_FOUND' });
  t.equal((await admin(gw, 'GET', '/admin/decision?method=GET&path=/x')).status, 400, 'sub is required');
  t.equal((await admin(gw, 'POST', '/admin/decision', { token: 'garbage', path: '/x' })).status, 400);
});
