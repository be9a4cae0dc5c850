// What the upstream is told about an authorized caller: any Unicode name travels percent-encoded and decodes back
// exactly; the tenant and roles are the decision's (config, admin API and token roles that held in the decided
// tenant), never the token's claims; operators add headers from claims and the decision, each encoded.
import t from 'tap';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/config-error.js';
import { encodeHeaderList, encodeHeaderValue } from '../../src/upstream/header-value.js';
import { gatewayWithUpstream, type GatewayUnderTest } from '../helpers/gateway-under-test.js';
import { rawRequest } from '../helpers/raw-http.js';
import { hsAuth, token } from '../helpers/tokens.js';

const ADMIN = 'identity-headers-admin-token-0123456789abcdef';

const yaml = (url: string, extra = ''): string => `
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0, token: ${ADMIN} }
  upstreamHeaders: { X-Auth-Email: "claim:email", X-Caller-Groups: "claim:groups" }
${hsAuth({ jwt: 'claims: { roles: roles }' })}
rbac:
  roles:
    viewer: { grants: [order:read] }
    editor: { inherits: [viewer], grants: [order:write] }
    auditor: { grants: [audit:read] }
    admin: { grants: ["*"] }
  subjects:
    carol: { roles: [{ role: editor, tenant: acme }] }
upstreams:
  svc: { url: "${url}" }
routes:
  - path: /public/**
    upstream: svc
    auth: none
  - path: /api/**
    upstream: svc
    permission: order:read
  - path: "/t/:tenant/orders/**"
    upstream: svc
    permission: { any: [order:delete, order:read] }
    tenantParam: tenant
    upstreamHeaders: { X-Auth-Codes: "decision:codes", X-Decided-Tenant: "decision:tenant", X-Decided-Roles: "decision:roles", X-Who: subject }
${extra}`;

const get = async (gw: GatewayUnderTest, path: string, bearer: string, headers: Record<string, string> = {}): Promise<number> =>
  (await fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${bearer}`, ...headers } })).status;

t.test('the encoding: printable ASCII names unchanged, anything else percent-encoded UTF-8 that decodeURIComponent reverses', async (t) => {
  for (const name of ['alice', 'alice@example.com', 'svc:orders/v1', 'a_b~c!$&\'()*;=?[]']) t.equal(encodeHeaderValue(name), name, name);
  for (const name of ['李雷', 'José', 'Jane Doe', 'a,b', 'x+y', '100%', 'tab\there', 'del\u007f', 'nl\nx', '👩‍💻', 'e\u0301', '\u200f']) {
    const encoded = encodeHeaderValue(name);
    t.match(encoded, /^[\x21-\x7e]+$/, `${JSON.stringify(name)} travels as printable ASCII`);
    t.notMatch(encoded, /[,+ ]/, 'never a comma, plus or space');
    t.equal(decodeURIComponent(encoded), name, `${JSON.stringify(name)} decodes back exactly`);
  }
  t.equal(encodeHeaderValue('\ud800x'), '%EF%BF%BDx', 'a lone surrogate (not text) travels as U+FFFD');
  t.equal(encodeHeaderList(['a,b', 'c']), 'a%2Cb,c', 'a comma inside a name never splits the list');
});

t.test('a token for 李雷 (or a tenant with accents and a newline) is forwarded, and the upstream decodes the exact names', async (t) => {
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => yaml(url));
  const names = ['李雷', 'José Ñúñez', 'Jane Doe, Jr.+1%'];
  for (const sub of names) {
    // The roles claim names viewer; the tenant claim holds characters no header can carry raw.
    t.equal(await get(gw, '/api/x', await token({ sub, roles: ['viewer'], tid: 'Zürich\nHQ', email: `${sub}@例え.jp`, groups: ['a,b', 'ü'] })), 200, sub);
  }
  t.equal(upstream.requests.length, names.length, 'every request reached the upstream');
  for (const [i, sub] of names.entries()) {
    const got = upstream.requests[i]!.headers;
    t.equal(decodeURIComponent(got['x-auth-subject'] as string), sub, `subject ${sub}`);
    t.equal(decodeURIComponent(got['x-auth-tenant'] as string), 'Zürich\nHQ', 'tenant');
    t.equal(got['x-auth-roles'], 'viewer');
    t.equal(decodeURIComponent(got['x-auth-email'] as string), `${sub}@例え.jp`, 'claim:email, encoded the same way');
    t.same((got['x-caller-groups'] as string).split(',').map(decodeURIComponent), ['a,b', 'ü'], 'a list claim: each item encoded, joined by ,');
  }
  t.equal(upstream.requests[0]!.headers['x-auth-subject'], '%E6%9D%8E%E9%9B%B7');
});

t.test('on a tenantParam route the upstream hears the decided tenant and the roles that held there, not the token claims', async (t) => {
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => yaml(url));
  // Bound through the admin API: auditor in acme, for carol.
  const bound = await fetch(`${gw.adminUrl}/admin/rbac/subjects/carol/roles`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ role: 'auditor', tenant: 'acme' }),
  });
  t.equal(bound.status, 201, 'bound through the admin API');
  // The token claims globex and admin; it also names viewer, which editor (bound in acme) already brings.
  const jwt = await token({ sub: 'carol', tid: 'globex', roles: ['admin', 'viewer'] });
  t.equal(await get(gw, '/t/acme/orders/1', jwt), 200, 'authorized as a reader in acme');
  const got = upstream.requests.at(-1)!.headers;
  t.equal(got['x-auth-tenant'], 'acme', 'the decided tenant, not the token tenant globex');
  t.same((got['x-auth-roles'] as string).split(',').sort(), ['auditor', 'editor', 'viewer'], 'config and admin roles held in acme, each once; the token roles hold only in globex');
  t.notMatch(got['x-auth-roles'] as string, /admin/, 'a token role that did not hold is not announced');
  t.equal(got['x-auth-codes'], 'order:read', 'decision:codes: the code that held (any of)');
  t.equal(got['x-decided-tenant'], 'acme');
  t.equal(got['x-decided-roles'], got['x-auth-roles']);
  t.equal(got['x-who'], 'carol');

  t.equal(await get(gw, '/t/globex/orders/1', jwt), 200, 'in globex the token roles hold');
  const globex = upstream.requests.at(-1)!.headers;
  t.equal(globex['x-auth-tenant'], 'globex');
  t.same((globex['x-auth-roles'] as string).split(','), ['admin', 'viewer'], 'token roles that held, and nothing bound only in acme');
});

t.test('a header whose source is absent is removed, never filled in by the client; a public route gets no identity', async (t) => {
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => yaml(url));
  const forged = { 'x-auth-email': 'ceo@example.com', 'x-caller-groups': 'admins', 'x-auth-roles': 'admin', 'x-auth-tenant': 'acme' };
  t.equal(await get(gw, '/api/x', await token({ sub: 'dave', roles: ['viewer'] }), forged), 200);
  const got = upstream.requests.at(-1)!.headers;
  t.equal(got['x-auth-subject'], 'dave');
  for (const name of Object.keys(forged)) if (name !== 'x-auth-roles') t.notOk(name in got, `${name}: no claim, no tenant, so no header`);
  t.equal(got['x-auth-roles'], 'viewer');

  const res = await rawRequest(gw.port, 'GET /public/p HTTP/1.1\r\nHost: g\r\nX-Auth-Subject: admin\r\nX-Auth-Email: a@b\r\nX-Caller-Groups: x\r\nConnection: close\r\n\r\n');
  t.equal(res.status, 200);
  const pub = upstream.requests.at(-1)!.headers;
  for (const name of ['x-auth-subject', 'x-auth-roles', 'x-auth-tenant', 'x-auth-email', 'x-caller-groups']) t.notOk(name in pub, `public route: no ${name}`);
});

t.test('upstreamHeaders are checked at load: known sources, names the gateway does not own, not on public routes', async (t) => {
  const base = (server: string, route = ''): string => `
server:
  upstreamHeaders:
${server}
${hsAuth()}
upstreams:
  svc: { url: "http://127.0.0.1:1" }
routes:
  - path: /api/**
    upstream: svc
    permission: order:read
${route}`;
  const problems = (text: string): string[] => {
    try {
      parseConfig(text, 'gw.yaml');
      return [];
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      return err.issues.map((issue) => `${issue.location.line}:${issue.keyPath}: ${issue.message}`);
    }
  };
  t.same(problems(base('    X-Auth-Email: claim:email\n    X-Auth-Codes: decision:codes\n    X-Who: subject')), [], 'a valid set');
  const bad = problems(base(
    '    X-Forwarded-For: subject\n    X-Real-IP: subject\n    Host: subject\n    X-Original-URL: subject\n    X-Auth-Subject: claim:sub\n    X-Ok: \"claim:\"\n    X-Also: decision:everything\n    Bad_Name: subject',
  ));
  for (const [line, name] of [[4, 'X-Forwarded-For'], [5, 'X-Real-IP'], [6, 'Host'], [7, 'X-Original-URL'], [8, 'X-Auth-Subject']] as const) {
    t.ok(bad.some((p) => p.startsWith(`${line}:server.upstreamHeaders.${name}:`) && /set or stripped by the gateway/.test(p)), `${name} is refused at line ${line}`);
  }
  t.ok(bad.some((p) => p.startsWith('9:server.upstreamHeaders.X-Ok:') && /names no claim path/.test(p)), 'an empty claim path');
  t.ok(bad.some((p) => p.startsWith('10:server.upstreamHeaders.X-Also:') && /unknown header source/.test(p)), 'an unknown source');
  t.ok(bad.some((p) => p.startsWith('11:server.upstreamHeaders.Bad_Name:')), 'a name with _');
  const pub = problems(`
${hsAuth()}
upstreams:
  svc: { url: "http://127.0.0.1:1" }
routes:
  - path: /p/**
    upstream: svc
    auth: none
    upstreamHeaders: { X-Who: subject }
`);
  t.match(pub.join('\n'), /routes\[0\]\.upstreamHeaders: a public route/);
});
