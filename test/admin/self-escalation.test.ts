// A JWT admin who may edit RBAC cannot change what they hold themselves: not their subject record, not a role bound to
// them (in the config or through the API), not a role those inherit, not a role their token names (defined or not).
// Each path is tried as an attacker would, through the real admin API with real JWTs, and the attacker ends with no
// more than they started with. The admin token is nobody, so it may make every one of these changes.
import t from 'tap';
import { gatewayWithUpstream, type GatewayUnderTest } from '../helpers/gateway-under-test.js';
import { hsAuth, token } from '../helpers/tokens.js';

const ADMIN = 'self-escalation-admin-token-0123456789abcdef';

function yaml(upstream: string): string {
  return `
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0, token: ${ADMIN}, jwt: true }
${hsAuth({ jwt: 'claims: { roles: roles }' })}
rbac:
  roles:
    rbac-editor: { grants: ["permgate:admin:rbac:*"] }
    superuser: { grants: ["permgate:*", "*"] }
  subjects:
    mallory: { roles: [rbac-editor] }
upstreams:
  svc: { url: "${upstream}" }
routes:
  - { path: /api/orders/**, upstream: svc, permission: order:read }
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

/** What mallory can do once the attempt is over: reload the config (a code only `superuser` gives) and read orders. */
async function malloryGained(gw: GatewayUnderTest, jwt: string): Promise<{ reload: number; orders: number }> {
  const reload = (await admin(gw, 'POST', '/admin/reload', undefined, jwt)).status;
  const orders = (await fetch(`${gw.url}/api/orders/1`, { headers: { authorization: `Bearer ${jwt}` } })).status;
  return { reload, orders };
}

const refusedAsSelfEdit = { status: 403, json: { error: { code: 'PG_ADMIN_FORBIDDEN', detail: /a role they hold/ } } };

t.test('a role bound to the admin through the API cannot be rewritten, or deleted, by that admin', async (t) => {
  const { gw } = await gatewayWithUpstream(t, yaml);
  t.equal((await admin(gw, 'PUT', '/admin/rbac/roles/ops', { grants: [] })).status, 200);
  t.equal((await admin(gw, 'POST', '/admin/rbac/subjects/mallory/roles', { role: 'ops', tenant: 'acme' })).status, 201, 'even a binding in one tenant');
  const mallory = await token({ sub: 'mallory', scope: undefined });
  t.match(await admin(gw, 'PUT', '/admin/rbac/roles/ops', { inherits: ['superuser'] }, mallory), refusedAsSelfEdit);
  t.match(await admin(gw, 'PUT', '/admin/rbac/roles/ops', { grants: ['order:read'] }, mallory), refusedAsSelfEdit, 'not even a small grant');
  t.match(await admin(gw, 'DELETE', '/admin/rbac/roles/ops', undefined, mallory), refusedAsSelfEdit, 'nor removing it');
  t.same((await admin(gw, 'GET', '/admin/rbac/roles/ops')).json.role.holds, ['ops'], 'the role is as it was');
  t.same(await malloryGained(gw, mallory), { reload: 403, orders: 403 });
  t.equal((await admin(gw, 'PUT', '/admin/rbac/roles/ops', { grants: ['order:read'] })).status, 200, 'the admin token may change it');
});

t.test('a role inherited by one the admin holds cannot be rewritten by that admin', async (t) => {
  const { gw } = await gatewayWithUpstream(t, yaml);
  await admin(gw, 'PUT', '/admin/rbac/roles/base', { grants: [] });
  await admin(gw, 'PUT', '/admin/rbac/roles/team', { inherits: ['base'] });
  await admin(gw, 'POST', '/admin/rbac/subjects/mallory/roles', { role: 'team' });
  const mallory = await token({ sub: 'mallory', scope: undefined });
  t.match(await admin(gw, 'PUT', '/admin/rbac/roles/base', { inherits: ['superuser'] }, mallory), refusedAsSelfEdit);
  t.same(await malloryGained(gw, mallory), { reload: 403, orders: 403 });
  t.equal((await admin(gw, 'PUT', '/admin/rbac/roles/unrelated', { grants: ['order:read'] }, mallory)).status, 200, 'a role the admin does not hold is theirs to edit');
});

t.test('a role the admin\'s token names cannot be defined, or rewritten, by that admin', async (t) => {
  const { gw } = await gatewayWithUpstream(t, yaml);
  const mallory = await token({ sub: 'mallory', scope: undefined, roles: ['rbac-editor', 'shadow', 'named'] });
  t.match(await admin(gw, 'PUT', '/admin/rbac/roles/shadow', { inherits: ['superuser'] }, mallory), refusedAsSelfEdit, 'a role not defined yet');
  t.equal((await admin(gw, 'GET', '/admin/rbac/roles/shadow')).status, 404, 'and it was not created');
  await admin(gw, 'PUT', '/admin/rbac/roles/named', { grants: [] });
  t.match(await admin(gw, 'PUT', '/admin/rbac/roles/named', { grants: ['*'] }, mallory), refusedAsSelfEdit, 'a role that exists');
  t.same(await malloryGained(gw, mallory), { reload: 403, orders: 403 });
  const other = await token({ sub: 'mallory', scope: undefined });
  t.equal((await admin(gw, 'PUT', '/admin/rbac/roles/shadow', { grants: ['order:read'] }, other)).status, 200, 'with a token that does not name it, it is just a role');
  t.equal((await admin(gw, 'PUT', '/admin/rbac/roles/shadow', { grants: ['order:read'] })).status, 200, 'and the admin token may always');
});

t.test('the admin\'s own subject record cannot be changed by that admin, in any way', async (t) => {
  const { gw } = await gatewayWithUpstream(t, yaml);
  const mallory = await token({ sub: 'mallory', scope: undefined });
  const attempts: [string, string, unknown][] = [
    ['POST', '/admin/rbac/subjects/mallory/roles', { role: 'superuser' }],
    ['POST', '/admin/rbac/subjects/mallory/grants', { code: 'permgate:*' }],
    ['PUT', '/admin/rbac/subjects/mallory', { roles: [{ role: 'superuser' }] }],
    ['DELETE', '/admin/rbac/subjects/mallory/denies?code=x', undefined],
  ];
  for (const [method, path, body] of attempts) {
    t.match(await admin(gw, method, path, body, mallory), { status: 403, json: { error: { code: 'PG_ADMIN_FORBIDDEN', detail: /own roles or grants/ } } }, `${method} ${path}`);
  }
  t.same(await malloryGained(gw, mallory), { reload: 403, orders: 403 });
});

t.test('an admin may not change a role while holding it, even one others hold too; once unbound, the change is audited as theirs', async (t) => {
  const { gw } = await gatewayWithUpstream(t, yaml);
  await admin(gw, 'PUT', '/admin/rbac/roles/shared', { grants: [] });
  await admin(gw, 'POST', '/admin/rbac/subjects/mallory/roles', { role: 'shared' });
  await admin(gw, 'POST', '/admin/rbac/subjects/trent/roles', { role: 'rbac-editor' });
  await admin(gw, 'POST', '/admin/rbac/subjects/trent/roles', { role: 'shared' });
  const trent = await token({ sub: 'trent', scope: undefined });
  t.match(await admin(gw, 'PUT', '/admin/rbac/roles/shared', { inherits: ['superuser'] }, trent), refusedAsSelfEdit);
  t.equal((await admin(gw, 'DELETE', '/admin/rbac/subjects/trent/roles/shared')).status, 200);
  const result = await admin(gw, 'PUT', '/admin/rbac/roles/shared', { grants: ['order:read'] }, trent);
  t.equal(result.status, 200, 'once trent no longer holds it, trent may change it (it is then mallory who gains, by trent\'s hand, audited)');
  t.match((await gw.gateway.audit.recent(1))[0], { actor: 'trent', action: 'rbac.role.put', target: 'shared' });
});
