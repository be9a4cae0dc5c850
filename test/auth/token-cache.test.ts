// A verified token is remembered, so its signature is checked once; but its exp is checked on every use and a
// revocation is honoured at once, cached or not.
import t from 'tap';
import { gatewayWithUpstream } from '../helpers/gateway-under-test.js';
import { hsAuth, token } from '../helpers/tokens.js';

const ADMIN = 'admin-token-for-cache-tests-0123456789';

t.test('the cache skips the signature check, never the clock and never revocation', async (t) => {
  let nowMs = Date.now();
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => `
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0, token: ${ADMIN} }
${hsAuth({ jwt: 'clockTolerance: 0s' })}upstreams:
  svc: { url: "${url}" }
routes:
  - { path: /api/**, upstream: svc, permission: order:read }
rbac: { tokenScopes: true }
`, {}, { now: () => nowMs });
  const outcome = async (name: string): Promise<number> => {
    const text = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    return Number(new RegExp(`permgate_authentications_total\\{outcome="${name}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
  };
  const call = async (jwt: string): Promise<number> => (await fetch(`${gw.url}/api/x`, { headers: { authorization: `Bearer ${jwt}` } })).status;

  const jwt = await token({ jti: 'cached-1' }, { now: nowMs, ttlSeconds: 60 });
  for (let i = 0; i < 5; i++) t.equal(await call(jwt), 200);
  t.equal(await outcome('ok'), 1, 'the signature was verified once');
  t.equal(await outcome('cached'), 4, 'and remembered four times');

  nowMs += 61_000;
  t.equal(await call(jwt), 401, 'a cached token stops the moment its exp passes');

  nowMs -= 61_000;
  const other = await token({ sub: 'erin', jti: 'cached-2' }, { now: nowMs, ttlSeconds: 60 });
  t.equal(await call(other), 200);
  const res = await fetch(`${gw.adminUrl}/admin/revocations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ jti: 'cached-2', exp: Math.floor(nowMs / 1000) + 60 }),
  });
  t.equal(res.status, 201);
  t.equal(await call(other), 401, 'a revoked token is refused although it is cached');
});

t.test('cacheSize 0 turns the cache off: every request pays the signature check', async (t) => {
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => `
${hsAuth({ jwt: 'cacheSize: 0' })}upstreams:
  svc: { url: "${url}" }
routes:
  - { path: /api/**, upstream: svc, permission: order:read }
rbac: { tokenScopes: true }
`);
  const jwt = await token();
  for (let i = 0; i < 3; i++) t.equal((await fetch(`${gw.url}/api/x`, { headers: { authorization: `Bearer ${jwt}` } })).status, 200);
  const text = await (await fetch(`${gw.adminUrl}/metrics`)).text();
  t.match(text, /permgate_authentications_total\{outcome="ok"\} 3/);
  t.notMatch(text, /outcome="cached"/);
});

t.test('a cached token stops being accepted when it grows older than maxTokenAge, even before its exp', async (t) => {
  let nowMs = Date.now();
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => `
${hsAuth({ jwt: 'clockTolerance: 0s\nmaxTokenAge: 5m' })}upstreams:
  svc: { url: "${url}" }
routes:
  - { path: /api/**, upstream: svc, permission: order:read }
rbac: { tokenScopes: true }
`, {}, { now: () => nowMs });
  const jwt = await token({}, { now: nowMs, ttlSeconds: 3600 });
  const call = async (): Promise<number> => (await fetch(`${gw.url}/api/x`, { headers: { authorization: `Bearer ${jwt}` } })).status;
  t.equal(await call(), 200);
  nowMs += 4 * 60_000;
  t.equal(await call(), 200, 'cached while younger than maxTokenAge');
  nowMs += 2 * 60_000;
  t.equal(await call(), 401, 'refused once older, although its exp is an hour away');
});
