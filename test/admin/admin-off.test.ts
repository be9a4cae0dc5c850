// Off means off: with no admin token and JWT admins not turned on, every admin API endpoint answers 503 — even to a
// person whose JWT holds `permgate:*` — before it reads a body. `server.admin.jwt: true` turns JWT admins on alone.
import t from 'tap';
import { gatewayWithUpstream, type GatewayUnderTest } from '../helpers/gateway-under-test.js';
import { hsAuth, token } from '../helpers/tokens.js';

const yaml = (admin: string) => (url: string): string => `
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: ${admin}
${hsAuth()}
rbac:
  roles:
    operator: { grants: ["permgate:*"] }
  subjects:
    otto: { roles: [operator] }
upstreams:
  svc: { url: "${url}" }
routes:
  - { path: /api/**, upstream: svc, permission: order:read }
`;

const ENDPOINTS: [string, string][] = [
  ['GET', '/admin/revocations'],
  ['POST', '/admin/revocations'],
  ['DELETE', '/admin/revocations/subjects/bob'],
  ['GET', '/admin/audit'],
  ['GET', '/admin/rbac/roles'],
  ['GET', '/admin/rbac/roles/operator'],
  ['PUT', '/admin/rbac/roles/x'],
  ['DELETE', '/admin/rbac/roles/x'],
  ['GET', '/admin/rbac/subjects'],
  ['GET', '/admin/rbac/subjects/bob'],
  ['PUT', '/admin/rbac/subjects/bob'],
  ['DELETE', '/admin/rbac/subjects/bob'],
  ['POST', '/admin/rbac/subjects/bob/roles'],
  ['DELETE', '/admin/rbac/subjects/bob/roles/operator'],
  ['POST', '/admin/rbac/subjects/bob/grants'],
  ['DELETE', '/admin/rbac/subjects/bob/grants?code=x'],
  ['POST', '/admin/rbac/subjects/bob/denies'],
  ['DELETE', '/admin/rbac/subjects/bob/denies?code=x'],
  ['GET', '/admin/decision?sub=bob&path=/api/x'],
  ['POST', '/admin/decision'],
  ['POST', '/admin/reload'],
];

async function call(gw: GatewayUnderTest, method: string, path: string, auth: string, body = '{}'): Promise<{ status: number; code: string | undefined }> {
  const hasBody = method === 'POST' || method === 'PUT';
  const res = await fetch(`${gw.adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${auth}`, ...(hasBody ? { 'content-type': 'application/json' } : {}) },
    body: hasBody ? body : undefined,
  });
  return { status: res.status, code: ((await res.json()) as { error?: { code: string } }).error?.code };
}

t.test('with no admin token and no jwt setting, every admin endpoint is 503 PG_ADMIN_DISABLED, even to a JWT holding permgate:*', async (t) => {
  const { gw } = await gatewayWithUpstream(t, yaml('{ host: 127.0.0.1, port: 0, token: "" }'));
  const otto = await token({ sub: 'otto' });
  for (const [method, path] of ENDPOINTS) {
    t.same(await call(gw, method, path, otto), { status: 503, code: 'PG_ADMIN_DISABLED' }, `${method} ${path}`);
  }
  t.same(await call(gw, 'POST', '/admin/revocations', otto, `{"subject":"${'x'.repeat(100_000)}"}`), { status: 503, code: 'PG_ADMIN_DISABLED' }, 'before the body is read');
  t.same(await call(gw, 'POST', '/admin/revocations', otto, '{not json'), { status: 503, code: 'PG_ADMIN_DISABLED' });
  t.equal((await fetch(`${gw.adminUrl}/healthz`)).status, 200, 'health, readiness and metrics stay on');
  t.equal((await fetch(`${gw.adminUrl}/metrics`)).status, 200);
});

t.test('jwt: true with no admin token admits JWT admins (and only them)', async (t) => {
  const { gw } = await gatewayWithUpstream(t, yaml('{ host: 127.0.0.1, port: 0, jwt: true }'));
  t.same(await call(gw, 'GET', '/admin/rbac/roles', await token({ sub: 'otto' })), { status: 200, code: undefined });
  t.same(await call(gw, 'GET', '/admin/rbac/roles', await token({ sub: 'nobody' })), { status: 403, code: 'PG_ADMIN_FORBIDDEN' });
  t.same(await call(gw, 'GET', '/admin/rbac/roles', ''), { status: 401, code: 'PG_ADMIN_UNAUTHORIZED' }, 'an empty bearer is no admin token');
});

t.test('an admin token without jwt: true admits the token and refuses JWT admins', async (t) => {
  const ADMIN = 'an-admin-token-that-is-long-enough-0123456789';
  const { gw } = await gatewayWithUpstream(t, yaml(`{ host: 127.0.0.1, port: 0, token: ${ADMIN} }`));
  t.same(await call(gw, 'GET', '/admin/rbac/roles', ADMIN), { status: 200, code: undefined });
  t.same(await call(gw, 'GET', '/admin/rbac/roles', await token({ sub: 'otto' })), { status: 401, code: 'PG_ADMIN_UNAUTHORIZED' });
});
