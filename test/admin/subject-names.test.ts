// One subject grammar for both planes: every subject the data plane accepts (CJK, accents, inner spaces, `/`, 300
// characters) can be revoked, restored, bound, inspected and explained through the admin API — percent-encoded in
// paths, decoded once — and what the data plane refuses (edge whitespace, control characters, lone surrogates) the
// admin API refuses too, with 400.
import t from 'tap';
import { gatewayWithUpstream, type GatewayUnderTest } from '../helpers/gateway-under-test.js';
import { hsAuth, token } from '../helpers/tokens.js';

const ADMIN = 'subject-names-admin-token-0123456789abcdef';
const NAMES = ['李雷', 'José Núñez', 'Jane Doe', 'a/b', 'x%2Fy', 'ü'.repeat(150) + 'n'.repeat(150)];

const yaml = (url: string): string => `
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0, token: ${ADMIN} }
${hsAuth()}
rbac:
  roles:
    viewer: { grants: [order:read] }
  subjects:
    "Zhōu 周": { roles: [viewer] }
upstreams:
  svc: { url: "${url}" }
routes:
  - { path: /api/**, upstream: svc, permission: order:read }
`;

async function admin(gw: GatewayUnderTest, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, any> }> {
  const res = await fetch(`${gw.adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

const dataPlane = async (gw: GatewayUnderTest, sub: string): Promise<number> =>
  (await fetch(`${gw.url}/api/orders`, { headers: { authorization: `Bearer ${await token({ sub, scope: undefined, iat: Math.floor(Date.now() / 1000) - 5 })}` } })).status;

t.test('every subject the data plane accepts can be bound, inspected, explained and unbound through the API', async (t) => {
  const { gw } = await gatewayWithUpstream(t, yaml);
  t.ok(encodeURIComponent(NAMES.at(-1)!).length > 100, 'the long name is longer than find-my-way\'s default maxParamLength (100)');
  for (const name of NAMES) {
    const path = `/admin/rbac/subjects/${encodeURIComponent(name)}`;
    t.equal(await dataPlane(gw, name), 403, `${name.slice(0, 20)}: no permission yet`);
    t.equal((await admin(gw, 'POST', `${path}/roles`, { role: 'viewer' })).status, 201, `${name.slice(0, 20)}: bound`);
    t.equal(await dataPlane(gw, name), 200, 'the binding holds for the data plane\'s caller of that very name');
    const view = await admin(gw, 'GET', path);
    t.match(view, { status: 200, json: { subject: name, dynamic: { roles: [{ role: 'viewer' }] } } }, 'decoded once: the name comes back as it was');
    const explained = await admin(gw, 'GET', `/admin/decision?sub=${encodeURIComponent(name)}&path=/api/orders`);
    t.match(explained.json, { decision: 'allow' });
    t.equal((await admin(gw, 'DELETE', `${path}/roles/viewer`)).status, 200);
    t.equal(await dataPlane(gw, name), 403);
  }
  const listed = (await admin(gw, 'GET', '/admin/rbac/subjects')).json;
  t.ok(listed.configured.includes('Zhōu 周'), 'a config subject may have any name the data plane accepts');
  t.equal(await dataPlane(gw, 'Zhōu 周'), 200);
  t.equal(await dataPlane(gw, 'a'), 403, '"a/b" is one name, not "a" and "b"');
});

t.test('every subject the data plane accepts can be revoked, listed and restored through the API', async (t) => {
  const { gw } = await gatewayWithUpstream(t, yaml);
  for (const name of NAMES) await admin(gw, 'POST', `/admin/rbac/subjects/${encodeURIComponent(name)}/roles`, { role: 'viewer' });
  for (const name of NAMES) {
    t.match(await admin(gw, 'POST', '/admin/revocations', { subject: name }), { status: 201, json: { revoked: { subject: name } } });
    t.equal(await dataPlane(gw, name), 401, `${name.slice(0, 20)}: revoked`);
    const listed = await admin(gw, 'GET', `/admin/revocations?subject=${encodeURIComponent(name)}`);
    t.same(listed.json.subjects.map((s: { subject: string }) => s.subject), [name], 'found by its exact name');
  }
  t.equal(await dataPlane(gw, 'a'), 403, 'revoking "a/b" revoked nobody else');
  for (const name of NAMES) {
    t.match(await admin(gw, 'DELETE', `/admin/revocations/subjects/${encodeURIComponent(name)}`), { status: 200, json: { restored: { subject: name } } });
    t.equal(await dataPlane(gw, name), 200, `${name.slice(0, 20)}: restored`);
  }
  t.same((await admin(gw, 'GET', '/admin/revocations')).json.subjects, []);
});

t.test('what the data plane refuses as a subject, the admin API refuses with 400 and writes nothing', async (t) => {
  const { gw } = await gatewayWithUpstream(t, yaml);
  const bad = ['admin ', ' admin', 'a\u0000b', 'tab\tin', 'bell\u0007', 'del\u007f', '\u0085next', '', 'x'.repeat(1025)];
  for (const name of bad) {
    const label = JSON.stringify(name.slice(0, 12));
    t.match(await admin(gw, 'POST', '/admin/revocations', { subject: name }), { status: 400, json: { error: { code: 'PG_ADMIN_BAD_INPUT', detail: /"subject": a subject/ } } }, `revoke ${label}`);
    if (name === '') continue; // an empty path segment is another route
    const path = `/admin/rbac/subjects/${encodeURIComponent(name)}`;
    t.match(await admin(gw, 'POST', `${path}/grants`, { code: 'order:read' }), { status: 400, json: { error: { code: 'PG_ADMIN_BAD_INPUT', detail: /the subject: a subject/ } } }, `grant to ${label}`);
    t.equal((await admin(gw, 'DELETE', `/admin/revocations/subjects/${encodeURIComponent(name)}`)).status, 400, `restore ${label}`);
    t.equal((await admin(gw, 'GET', `/admin/decision?sub=${encodeURIComponent(name)}&path=/api/x`)).status, 400, `explain ${label}`);
    t.equal((await admin(gw, 'GET', `/admin/revocations?subject=${encodeURIComponent(name)}`)).status, 400, `list ${label}`);
  }
  const lone = await fetch(`${gw.adminUrl}/admin/revocations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: '{"subject":"a\\ud800b"}',
  });
  t.match(await lone.json(), { error: { code: 'PG_ADMIN_BAD_INPUT', detail: /lone surrogates/ } }, 'a lone surrogate in a JSON body');
  t.equal((await admin(gw, 'GET', '/admin/rbac/subjects/%ED%A0%80')).status, 400, 'and its UTF-8 form in a path');
  t.same((await admin(gw, 'GET', '/admin/revocations')).json.subjects, [], 'nothing was revoked');
  t.same((await admin(gw, 'GET', '/admin/rbac/subjects')).json.dynamic, [], 'nothing was granted');
});
