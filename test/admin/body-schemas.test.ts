// Admin bodies are checked by route schemas built from the config's own policy shapes: only once the caller is
// authorized (a stranger's bad body is a 401, counted, never a 400), and a body that fails is a coded 400
// PG_ADMIN_BAD_INPUT naming the field in the words the config uses.
import t from 'tap';
import { gatewayWithUpstream, type GatewayUnderTest } from '../helpers/gateway-under-test.js';

const ADMIN = 'body-schema-admin-token-0123456789abcdef';

const yaml = (upstream: string) => `
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0, token: ${ADMIN} }
rbac:
  roles:
    viewer: { grants: [order:read] }
upstreams:
  svc: { url: "${upstream}" }
routes:
  - { path: /api/**, upstream: svc, auth: none }
`;

async function admin(gw: GatewayUnderTest, method: string, path: string, body: unknown, auth = ADMIN): Promise<{ status: number; error: { code: string; detail?: string } }> {
  const res = await fetch(`${gw.adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, error: ((await res.json()) as { error: { code: string; detail?: string } }).error };
}

t.test('a bad body from a caller who is not authorized is a 401, not a 400', async (t) => {
  const { gw } = await gatewayWithUpstream(t, yaml);
  for (const [method, path] of [['POST', '/admin/rbac/subjects/kim/grants'], ['PUT', '/admin/rbac/roles/r'], ['POST', '/admin/revocations']]) {
    t.match(await admin(gw, method!, path!, { nonsense: true }, 'wrong-token'), { status: 401 }, `${method} ${path}`);
  }
});

t.test('a body that fails its schema is a 400 PG_ADMIN_BAD_INPUT naming the field', async (t) => {
  const { gw } = await gatewayWithUpstream(t, yaml);
  const cases: [string, string, unknown, RegExp][] = [
    ['POST', '/admin/rbac/subjects/kim/grants', { code: 'order:read', tenant: 'two words' }, /^"tenant": a tenant is printable ASCII/],
    ['POST', '/admin/rbac/subjects/kim/roles', { role: 'no spaces please' }, /^"role": a role name holds/],
    ['PUT', '/admin/rbac/subjects/kim', { grants: [{ code: 'x', expires: 'soon' }] }, /^"grants\[0\]\.expires": expected a date-time with a zone/],
    ['PUT', '/admin/rbac/roles/r', { grants: 'order:read' }, /^"grants": expected a list/],
    ['PUT', '/admin/rbac/roles/r', { inherits: ['viewer'], grnts: [] }, /^unknown field "grnts" \(a role takes grants, denies, inherits, description\)/],
    ['POST', '/admin/revocations', { jti: 'a b' }, /^"jti": must be a non-empty string without spaces/],
  ];
  for (const [method, path, body, detail] of cases) {
    const res = await admin(gw, method, path, body);
    t.equal(res.status, 400, `${method} ${path} ${JSON.stringify(body)}`);
    t.equal(res.error.code, 'PG_ADMIN_BAD_INPUT');
    t.match(res.error.detail, detail);
  }
});
