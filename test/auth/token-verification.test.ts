// A good token passes and names its caller to the upstream; a forged, stale or malformed one never passes, and
// every refusal is a 401 with an RFC 6750 challenge that never echoes the token.
import t, { type Test } from 'tap';
import { gatewayWithUpstream, type GatewayUnderTest } from '../helpers/gateway-under-test.js';
import { AUDIENCE, handmadeHs256, hsAuth, HS_AUTH, ISSUER, keyPair, TEST_SECRET, token } from '../helpers/tokens.js';

const rsa = keyPair('rsa');
const ec = keyPair('ec');
const ed = keyPair('ed25519');

const routes = (url: string): string => `
upstreams:
  svc: { url: "${url}" }
routes:
  - { path: /api/**, upstream: svc, permission: order:read }
rbac:
  tokenScopes: true   # these tokens are authorized by their scope claim (opt-in)
  roles: { editor: {}, viewer: {} }
`;

const setup = (t: Test, auth: string): ReturnType<typeof gatewayWithUpstream> => gatewayWithUpstream(t, (url) => auth + routes(url));

async function call(gw: GatewayUnderTest, bearer: string | undefined): Promise<{ status: number; code: string | undefined; challenge: string | null; raw: string }> {
  const res = await fetch(`${gw.url}/api/x`, { headers: bearer === undefined ? {} : { authorization: `Bearer ${bearer}` } });
  const raw = await res.text();
  const code = res.status === 200 ? undefined : (JSON.parse(raw) as { error: { code: string } }).error.code;
  return { status: res.status, code, challenge: res.headers.get('www-authenticate'), raw };
}

t.test('valid HS256, RS256, ES256 and EdDSA tokens pass and the upstream learns who the caller is', async (t) => {
  const { gw, upstream } = await setup(t, `
auth:
  jwt:
    algorithms: [HS256, RS256, ES256, EdDSA]
    issuer: ${ISSUER}
    audience: ${AUDIENCE}
    secret: "${TEST_SECRET}"
    publicKeys:
      - { kid: rsa1, pem: ${JSON.stringify(rsa.publicPem)} }
      - { kid: ec1, pem: ${JSON.stringify(ec.publicPem)} }
      - { kid: ed1, pem: ${JSON.stringify(ed.publicPem)} }
    claims: { roles: realm_access.roles, tenant: tid }
`);
  const tokens = [
    await token({ sub: 'hs-user' }),
    await token({ sub: 'rs-user', realm_access: { roles: ['editor', 'viewer'] }, tid: 't1' }, { alg: 'RS256', key: rsa.privateKey, kid: 'rsa1' }),
    await token({ sub: 'es-user' }, { alg: 'ES256', key: ec.privateKey, kid: 'ec1' }),
    await token({ sub: 'ed-user' }, { alg: 'EdDSA', key: ed.privateKey, kid: 'ed1' }),
  ];
  for (const [i, jwt] of tokens.entries()) t.equal((await call(gw, jwt)).status, 200, `token ${i}`);
  t.same(upstream.requests.map((r) => r.headers['x-auth-subject']), ['hs-user', 'rs-user', 'es-user', 'ed-user']);
  t.equal(upstream.requests[1]!.headers['x-auth-roles'], 'editor,viewer');
  t.equal(upstream.requests[1]!.headers['x-auth-tenant'], 't1');
  t.notOk(upstream.requests[0]!.headers['x-auth-roles'], 'no roles, no header');
});

t.test('forged, stale and malformed tokens are refused with the right code, and never reach the upstream', async (t) => {
  const { gw, upstream } = await setup(t, `
auth:
  jwt:
    algorithms: [HS256, RS256]
    issuer: ${ISSUER}
    audience: ${AUDIENCE}
    secret: "${TEST_SECRET}"
    publicKeys: [{ kid: rsa1, pem: ${JSON.stringify(rsa.publicPem)} }]
    maxLifetime: 1h
    maxTokenSize: 2kb
    claims: { roles: roles }
`);
  const now = Math.floor(Date.now() / 1000);
  const header = (extra: object): string => JSON.stringify({ alg: 'HS256', typ: 'JWT', ...extra });
  const claims = (extra: object): string => JSON.stringify({ iss: ISSUER, aud: AUDIENCE, sub: 'alice', iat: now, exp: now + 60, scope: 'order:read', ...extra });
  const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from(claims({})).toString('base64url')}.`;
  const cases: [string, string | Promise<string>, string][] = [
    ['alg none', unsigned, 'PG_TOKEN_BAD_SIGNATURE'],
    ['HS256 signed with the RSA public key (key confusion)', handmadeHs256(header({ kid: 'rsa1' }), claims({}), rsa.publicPem), 'PG_TOKEN_BAD_SIGNATURE'],
    ['wrong secret', token({}, { key: new TextEncoder().encode('another-secret-of-at-least-32-bytes!!') }), 'PG_TOKEN_BAD_SIGNATURE'],
    ['algorithm not allowed (HS512)', token({}, { alg: 'HS512' }), 'PG_TOKEN_BAD_SIGNATURE'],
    ['embedded jwk', handmadeHs256(header({ jwk: { kty: 'oct', k: 'AAAA' } }), claims({})), 'PG_TOKEN_MALFORMED'],
    ['jku', handmadeHs256(header({ jku: 'http://evil/jwks' }), claims({})), 'PG_TOKEN_MALFORMED'],
    ['x5u', handmadeHs256(header({ x5u: 'http://evil/cert' }), claims({})), 'PG_TOKEN_MALFORMED'],
    ['x5c', handmadeHs256(header({ x5c: ['AAAA'] }), claims({})), 'PG_TOKEN_MALFORMED'],
    ['crit', handmadeHs256(header({ crit: ['exp'] }), claims({})), 'PG_TOKEN_MALFORMED'],
    // A kid is only ever a name to look up: a path in it opens no file, and the signature still has to verify.
    ['kid path trick', handmadeHs256(header({ kid: '../../../../etc/passwd' }), claims({}), 'another-secret-of-at-least-32-bytes!!'), 'PG_TOKEN_BAD_SIGNATURE'],
    ['kid SQL trick', handmadeHs256(header({ kid: "' OR 1=1 --" }), claims({}), 'x'), 'PG_TOKEN_BAD_SIGNATURE'],
    ['kid of 1000 characters', handmadeHs256(header({ kid: 'k'.repeat(1000) }), claims({})), 'PG_TOKEN_MALFORMED'],
    ['expired', token({ iat: now - 120, exp: now - 60 }), 'PG_TOKEN_EXPIRED'],
    ['nbf in the future', token({ nbf: now + 600 }), 'PG_TOKEN_NOT_YET_VALID'],
    ['iat in the future', token({ iat: now + 600, exp: now + 900 }), 'PG_TOKEN_NOT_YET_VALID'],
    ['wrong issuer', token({ iss: 'evil' }), 'PG_TOKEN_WRONG_ISSUER'],
    ['wrong audience', token({ aud: 'other-service' }), 'PG_TOKEN_WRONG_AUDIENCE'],
    ['no exp', handmadeHs256(header({}), JSON.stringify({ iss: ISSUER, aud: AUDIENCE, sub: 'alice', scope: 'order:read' })), 'PG_TOKEN_MALFORMED'],
    ['lifetime over maxLifetime', token({ exp: now + 7200 }), 'PG_TOKEN_EXPIRED'],
    ['oversized', token({ padding: 'p'.repeat(3000) }), 'PG_TOKEN_TOO_LARGE'],
    ['two parts', 'abc.def', 'PG_TOKEN_MALFORMED'],
    ['garbage', 'not-a-token-at-all', 'PG_TOKEN_MALFORMED'],
    ['malformed base64', '!!!.@@@.###', 'PG_TOKEN_MALFORMED'],
    ['malformed JSON', `${Buffer.from('{"alg":').toString('base64url')}.${Buffer.from('{').toString('base64url')}.sig`, 'PG_TOKEN_MALFORMED'],
    ['a claim name that is not a valid JSON string', handmadeHs256(header({}), '{"sub\\x":"alice"}'), 'PG_TOKEN_MALFORMED'],
    ['duplicate sub claims', handmadeHs256(header({}), claims({}).replace('"sub":"alice"', '"sub":"alice","sub":"admin"')), 'PG_TOKEN_MALFORMED'],
    ['sub as a list', token({ sub: ['u-admin'] as unknown as string }), 'PG_TOKEN_MALFORMED'],
    ['sub as a number', handmadeHs256(header({}), claims({ sub: 42 })), 'PG_TOKEN_MALFORMED'],
    ['roles that are not strings', token({ roles: [1, { admin: true }] }), 'PG_TOKEN_MALFORMED'],
  ];
  for (const [name, pending, code] of cases) {
    const jwt = await pending;
    const result = await call(gw, jwt);
    t.equal(result.status, 401, `${name}: 401`);
    t.equal(result.code, code, `${name}: ${code}`);
    t.match(result.challenge, /^Bearer realm="permgate", error="invalid_token", error_description="[^"]+"$/, `${name}: RFC 6750 challenge`);
    const signature = jwt.split('.')[2] ?? jwt;
    for (const part of jwt.split('.').filter((p) => p.length > 8)) {
      t.notOk(result.raw.includes(part) || result.challenge?.includes(part), `${name}: the reply never echoes the token`);
    }
    t.ok(signature !== undefined);
  }
  t.equal(upstream.requests.length, 0, 'nothing reached the upstream');

  const missing = await call(gw, undefined);
  t.equal(missing.code, 'PG_TOKEN_MISSING');
  t.equal(missing.challenge, 'Bearer realm="permgate"', 'no credentials: a challenge without an error code');
  const basic = await fetch(`${gw.url}/api/x`, { headers: { authorization: 'Basic YWxpY2U6cHc=' } });
  t.equal(basic.status, 401, 'another scheme is no bearer token');
});

t.test('identity claims named like Object.prototype members are plain names', async (t) => {
  const { gw, upstream } = await setup(t, HS_AUTH);
  for (const sub of ['constructor', '__proto__', 'toString']) {
    t.equal((await call(gw, await token({ sub }))).status, 200, sub);
  }
  t.same(upstream.requests.map((r) => r.headers['x-auth-subject']), ['constructor', '__proto__', 'toString']);
});

t.test('maxTokenAge and requiredClaims are enforced', async (t) => {
  const { gw } = await setup(t, hsAuth({ jwt: 'maxTokenAge: 5m\nrequiredClaims: [jti]' }));
  const now = Math.floor(Date.now() / 1000);
  t.equal((await call(gw, await token({ iat: now - 600, exp: now + 60 }))).code, 'PG_TOKEN_EXPIRED', 'older than maxTokenAge');
  t.equal((await call(gw, await token({ jti: undefined }))).code, 'PG_TOKEN_MALFORMED', 'jti required');
  t.equal((await call(gw, await token())).status, 200);
});

t.test('the token may come from a configured cookie', async (t) => {
  const { gw } = await setup(t, hsAuth({ jwt: 'cookie: session' }));
  const res = await fetch(`${gw.url}/api/x`, { headers: { cookie: `theme=dark; session=${await token()}` } });
  t.equal(res.status, 200);
});
