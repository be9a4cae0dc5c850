// Rate limits on the request path, on both stores (the embedded one with an injected clock, a private Redis on its
// own clock): each dimension, combinations, overrides, exemptions, headers, and keys a client cannot choose.
import { Redis } from 'ioredis';
import t, { type Test } from 'tap';
import { gatewayWithUpstream, type GatewayUnderTest } from '../helpers/gateway-under-test.js';
import { startPrivateRedis } from '../helpers/private-redis.js';
import { rawRequest } from '../helpers/raw-http.js';
import { hsAuth, token } from '../helpers/tokens.js';

let nowMs = 1_800_000_000_000;

async function get(gw: GatewayUnderTest, path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${gw.url}${path}`, { headers });
}

async function statuses(gw: GatewayUnderTest, path: string, n: number, headers: Record<string, string> = {}): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await get(gw, path, headers)).status);
  return out;
}

for (const kind of ['memory', 'redis'] as const) {
  t.test(`on the ${kind} store`, async (suite) => {
    const redis = kind === 'redis' ? await startPrivateRedis() : undefined;
    const raw = redis ? new Redis(redis.url) : undefined;
    suite.teardown(async () => {
      raw?.disconnect();
      await redis?.close();
    });
    const clock = kind === 'memory' ? { now: () => nowMs } : { now: () => Date.now() };
    const store = redis ? `store:\n  redis: "${redis.url}"\n` : '';
    // Each test starts with empty buckets: a fresh gateway, and (our own, private) Redis emptied.
    const gateway = async (t: Test, yaml: (upstream: string) => string, server = ''): ReturnType<typeof gatewayWithUpstream> => {
      await raw?.flushall();
      const head = server || 'server:\n  listen: { host: 127.0.0.1, port: 0 }\n  admin: { host: 127.0.0.1, port: 0 }\n';
      return gatewayWithUpstream(t, (url) => head + store + yaml(url), {}, clock);
    };

  suite.test('the ip dimension: a budget per client address, with a clear 429', async (t) => {
    const { gw, upstream } = await gateway(t, (u) => `
rateLimits: { ip: 3/min }
upstreams: { svc: { url: "${u}" } }
routes:
  - { path: /a/**, upstream: svc, auth: none }
`);
    const first = await get(gw, '/a/x');
    t.equal(first.status, 200);
    t.equal(first.headers.get('ratelimit-policy'), '"ip";q=3;w=60');
    t.equal(first.headers.get('ratelimit'), '"ip";r=2;t=20');
    t.same(await statuses(gw, '/a/x', 3), [200, 200, 429]);
    const refused = await get(gw, '/a/y');
    t.equal(refused.status, 429);
    t.equal(refused.headers.get('retry-after'), '20');
    t.match(await refused.json(), { error: { code: 'PG_RATE_LIMITED', detail: /"ip"/ } });
    t.equal(upstream.requests.length, 3, 'refused requests never reach the upstream');
    if (kind === 'memory') {
      nowMs += 20_000; // the Redis store runs on Redis's clock, which a test cannot move
      t.equal((await get(gw, '/a/x')).status, 200, 'one more after one interval');
    }
  });

  suite.test('user, user+route and route budgets; anonymous callers count per address', async (t) => {
    const { gw } = await gateway(t, (u) => `${hsAuth()}
rbac: { tokenScopes: true }
rateLimits: { user: 4/min }
upstreams: { svc: { url: "${u}" } }
routes:
  - { path: /api/**, upstream: svc, permission: order:read, rateLimit: { user+route: 2/min } }
  - { path: /other/**, upstream: svc, permission: order:read }
  - { path: /shared/**, upstream: svc, auth: none, rateLimit: { user: off, route: 3/min } }
  - { path: /open/**, upstream: svc, auth: none }
`);
    const alice = { authorization: `Bearer ${await token({ sub: 'alice' }, { now: clock.now() })}` };
    const bob = { authorization: `Bearer ${await token({ sub: 'bob' }, { now: clock.now() })}` };
    t.same(await statuses(gw, '/api/x', 3, alice), [200, 200, 429], 'user+route: 2 on /api for alice');
    t.equal((await get(gw, '/api/x', bob)).status, 200, 'bob has his own budgets');
    t.same(await statuses(gw, '/other/x', 3, alice), [200, 200, 429], 'user: alice spent 2 of 4 on /api already');
    t.same(await statuses(gw, '/shared/x', 4), [200, 200, 200, 429], 'route: 3 for everyone on /shared');
    t.same(await statuses(gw, '/open/x', 5), [200, 200, 200, 200, 429], 'anonymous callers get the user budget per address');
  });

  suite.test('global limits everything together; a route can switch limits off; exempt roles are not limited', async (t) => {
    const { gw } = await gateway(t, (u) => `${hsAuth({ jwt: 'claims: { roles: roles }' })}
rbac: { tokenScopes: true }
rateLimits: { global: 4/min, exempt: { roles: [internal] } }
upstreams: { svc: { url: "${u}" } }
routes:
  - { path: /a/**, upstream: svc, auth: none }
  - { path: /b/**, upstream: svc, auth: none }
  - { path: /free/**, upstream: svc, auth: none, rateLimit: off }
  - { path: /api/**, upstream: svc, permission: order:read }
`);
    t.same([...(await statuses(gw, '/a/x', 2)), ...(await statuses(gw, '/b/x', 3))], [200, 200, 200, 200, 429]);
    t.same(await statuses(gw, '/free/x', 3), [200, 200, 200], 'rateLimit: off');
    const service = { authorization: `Bearer ${await token({ sub: 'svc-1', roles: ['internal'] }, { now: clock.now() })}` };
    t.same(await statuses(gw, '/api/x', 3, service), [200, 200, 200], 'an exempt role passes although global is spent');
    const person = { authorization: `Bearer ${await token({ sub: 'carol' }, { now: clock.now() })}` };
    t.equal((await get(gw, '/api/x', person)).status, 429);
  });

  suite.test('a spoofed X-Forwarded-For from an untrusted peer never changes the bucket; a trusted proxy\u2019s does', async (t) => {
    const routes = (u: string): string => `
rateLimits: { ip: 2/min }
upstreams: { svc: { url: "${u}" } }
routes:
  - { path: /a/**, upstream: svc, auth: none }
`;
    const { gw: open } = await gateway(t, routes);
    const spoofed = [];
    for (let i = 0; i < 3; i++) spoofed.push((await get(open, '/a/x', { 'x-forwarded-for': `198.51.100.${i}` })).status);
    t.same(spoofed, [200, 200, 429], 'three made-up addresses, one bucket: the socket');

    const { gw: behindProxy } = await gateway(t, routes, 'server:\n  listen: { host: 127.0.0.1, port: 0 }\n  admin: { host: 127.0.0.1, port: 0 }\n  trustProxy: [127.0.0.1]\n');
    const viaProxy = [];
    for (const client of ['198.51.100.1', '198.51.100.1', '198.51.100.1', '198.51.100.2']) {
      viaProxy.push((await get(behindProxy, '/a/x', { 'x-forwarded-for': client })).status);
    }
    t.same(viaProxy, [200, 200, 429, 200], 'behind a trusted proxy, each real client has its own bucket');
  });

  suite.test('headers can be switched off; 429 still carries Retry-After', async (t) => {
    const { gw } = await gateway(t, (u) => `
rateLimits: { ip: 1/min, headers: false }
upstreams: { svc: { url: "${u}" } }
routes:
  - { path: /a/**, upstream: svc, auth: none }
`);
    const ok = await get(gw, '/a/x');
    t.equal(ok.headers.get('ratelimit'), null);
    const refused = await rawRequest(gw.port, 'GET /a/x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
    t.equal(refused.status, 429);
    t.ok(refused.headers['retry-after']);
    t.notOk(refused.headers['ratelimit-policy']);
  });

  suite.test('a flood of forged tokens is cut by the per-IP guard before any signature is checked', async (t) => {
    const { gw } = await gateway(t, (u) => `${hsAuth()}
rbac: { tokenScopes: true }
rateLimits: { ip: 3/min }
upstreams: { svc: { url: "${u}" } }
routes:
  - { path: /api/**, upstream: svc, permission: order:read }
`);
    const forged = { authorization: `Bearer ${await token({}, { now: clock.now(), key: new TextEncoder().encode('not-the-secret-but-32-bytes-long!!') })}` };
    t.same(await statuses(gw, '/api/x', 5, forged), [401, 401, 401, 429, 429]);
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    t.match(metrics, /permgate_authentications_total\{outcome="PG_TOKEN_BAD_SIGNATURE"\} 3\n/, 'only three signatures were checked');
  });

  suite.test('ip+route: one address, one route, its own budget', async (t) => {
    const { gw } = await gateway(t, (u) => `
upstreams: { svc: { url: "${u}" } }
routes:
  - { path: /a/**, upstream: svc, auth: none, rateLimit: { ip+route: 2/min } }
  - { path: /b/**, upstream: svc, auth: none, rateLimit: { ip+route: 2/min } }
  - { path: /c/**, upstream: svc, auth: none }
`);
    t.same(await statuses(gw, '/a/x', 3), [200, 200, 429]);
    t.same(await statuses(gw, '/b/x', 2), [200, 200], 'another route, another bucket');
    t.same(await statuses(gw, '/c/x', 3), [200, 200, 200], 'a route without limits (and no rateLimits section) is not limited');
    const res = await get(gw, '/c/x');
    t.equal(res.headers.get('ratelimit'), null, 'and carries no RateLimit headers');
  });
  });
}
