// What a token may claim and be believed: explicit typing (RFC 8725 §3.11), one canonical form of a subject, and
// no permission from the token itself unless the operator opted in (claims.roles, rbac.tokenScopes).
import t from 'tap';
import { gatewayWithUpstream, type GatewayUnderTest } from '../helpers/gateway-under-test.js';
import { AUDIENCE, handmadeHs256, hsAuth, ISSUER, token } from '../helpers/tokens.js';

const yaml = (url: string, jwt = '', rbac = 'rbac: { tokenScopes: true }'): string => `
${hsAuth({ jwt })}
${rbac}
upstreams:
  svc: { url: "${url}" }
routes:
  - { path: /api/**, upstream: svc, permission: order:read }
`;

async function call(gw: GatewayUnderTest, jwt: string): Promise<{ status: number; code: string | undefined; detail: string | undefined }> {
  const res = await fetch(`${gw.url}/api/x`, { headers: { authorization: `Bearer ${jwt}` } });
  const body = (await res.json()) as { error?: { code: string; detail?: string } };
  return { status: res.status, code: body.error?.code, detail: body.error?.detail };
}

t.test('by default a token typed JWT, at+jwt or application/at+jwt (any case), or untyped, passes; refresh and ID tokens do not', async (t) => {
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => yaml(url));
  for (const typ of [undefined, 'JWT', 'jwt', 'at+jwt', 'application/at+jwt', 'Application/AT+JWT', 'application/jwt']) {
    t.equal((await call(gw, await token({}, { header: { typ } }))).status, 200, `typ ${typ ?? '(none)'}`);
  }
  for (const typ of ['refresh+jwt', 'id_token+jwt', 'logout+jwt', 'application/secevent+jwt', 'JOSE', 'at+jwt ', 'application/x/at+jwt']) {
    const result = await call(gw, await token({}, { header: { typ } }));
    t.same([result.status, result.code], [401, 'PG_TOKEN_WRONG_TYPE'], `typ ${JSON.stringify(typ)} is refused`);
  }
  const now = Math.floor(Date.now() / 1000);
  const numeric = await handmadeHs256('{"alg":"HS256","typ":5}', JSON.stringify({ iss: ISSUER, aud: AUDIENCE, sub: 'a', iat: now, exp: now + 60, scope: 'order:read' }));
  t.same((await call(gw, numeric)).code, 'PG_TOKEN_WRONG_TYPE', 'a typ that is not a string');
  t.equal(upstream.requests.length, 7, 'only the accepted types reached the upstream');
});

t.test('auth.jwt.types and typeRequired narrow what is accepted', async (t) => {
  const { gw } = await gatewayWithUpstream(t, (url) => yaml(url, 'types: [application/at+jwt]\ntypeRequired: true'));
  t.equal((await call(gw, await token({}, { header: { typ: 'at+jwt' } }))).status, 200);
  t.equal((await call(gw, await token({}, { header: { typ: 'JWT' } }))).code, 'PG_TOKEN_WRONG_TYPE', 'JWT is no longer listed');
  t.equal((await call(gw, await token({}, { header: { typ: undefined } }))).code, 'PG_TOKEN_WRONG_TYPE', 'untyped, with typeRequired');
});

t.test('a sub with surrounding whitespace, a control character or a lone surrogate is refused with 401, never 500', async (t) => {
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => yaml(url));
  const now = Math.floor(Date.now() / 1000);
  const raw = (subJson: string): Promise<string> =>
    handmadeHs256('{"alg":"HS256","typ":"JWT"}', `{"iss":"${ISSUER}","aud":"${AUDIENCE}","sub":${subJson},"iat":${now},"exp":${now + 60},"scope":"order:read"}`);
  const cases: [string, Promise<string>][] = [
    ['trailing space', token({ sub: 'admin ' })],
    ['leading space', token({ sub: ' admin' })],
    ['a trailing newline', token({ sub: 'admin\n' })],
    ['a no-break space at the end', token({ sub: 'admin\u00a0' })],
    ['NUL inside', token({ sub: 'ad\u0000min' })],
    ['DEL inside', token({ sub: 'ad\u007fmin' })],
    ['a C1 control', token({ sub: 'ad\u0085min' })],
    ['a lone surrogate', raw('"\\ud800"')],
    ['a lone low surrogate inside', raw('"a\\udc00b"')],
    ['over 1024 characters', token({ sub: 'a'.repeat(1025) })],
    ['empty', token({ sub: '' })],
    ['a list', raw('["admin"]')],
  ];
  for (const [name, pending] of cases) {
    const result = await call(gw, await pending);
    t.same([result.status, result.code], [401, 'PG_TOKEN_MALFORMED'], name);
    t.match(result.detail, /subject/, `${name}: the detail says why`);
  }
  t.equal(upstream.requests.length, 0, 'none reached the upstream');
  for (const sub of ['李雷', 'Jane Doe', 'José', 'a'.repeat(1024), 'alice@example.com']) {
    t.equal((await call(gw, await token({ sub }))).status, 200, `${sub.slice(0, 20)} is a subject`);
  }
});

t.test('a token grants nothing by itself: roles only with auth.jwt.claims.roles, scopes only with rbac.tokenScopes: true', async (t) => {
  const policy = 'rbac:\n  roles: { viewer: { grants: [order:read] } }';
  const { gw: strict } = await gatewayWithUpstream(t, (url) => yaml(url, '', policy));
  t.equal((await call(strict, await token({ roles: ['viewer'], scope: 'order:read' }))).status, 403, 'neither the roles claim nor the scope counts by default');

  const { gw: roles } = await gatewayWithUpstream(t, (url) => yaml(url, 'claims: { roles: roles }', policy));
  t.equal((await call(roles, await token({ roles: ['viewer'], scope: undefined }))).status, 200, 'claims.roles written: token roles count');
  t.equal((await call(roles, await token({ roles: undefined, scope: 'order:read' }))).status, 403, '…and scopes still do not');

  const { gw: scopes } = await gatewayWithUpstream(t, (url) => yaml(url, '', `${policy}\n  tokenScopes: true`));
  t.equal((await call(scopes, await token({ roles: undefined, scope: 'order:read' }))).status, 200, 'tokenScopes: true: scopes count');
  t.equal((await call(scopes, await token({ roles: ['viewer'], scope: undefined }))).status, 403, '…and roles still do not');
});
