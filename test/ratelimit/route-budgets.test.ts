// A route's own budget has its own bucket (issue 10 §4): exhausting it refuses that route only, while the default
// budget of the same dimension stays one bucket shared by every route. On both stores: the embedded one and a
// private Redis.
import { Redis } from 'ioredis';
import t from 'tap';
import { gatewayWithUpstream, type GatewayUnderTest } from '../helpers/gateway-under-test.js';
import { startPrivateRedis } from '../helpers/private-redis.js';
import { hsAuth, token } from '../helpers/tokens.js';

const nowMs = 1_800_000_000_000;

async function status(gw: GatewayUnderTest, method: string, path: string, headers: Record<string, string> = {}): Promise<number> {
  const response = await fetch(`${gw.url}${path}`, { method, headers });
  await response.arrayBuffer();
  return response.status;
}

async function statuses(gw: GatewayUnderTest, method: string, path: string, n: number, headers: Record<string, string> = {}): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await status(gw, method, path, headers));
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
    const store = redis ? `store:\n  redis: "${redis.url}"\n  commandTimeout: 2s # a loaded CI machine must not fall back to the local share\n` : '';
    const start = async (t: Parameters<typeof gatewayWithUpstream>[0], yaml: (u: string) => string) => {
      await raw?.flushall();
      return gatewayWithUpstream(t, (u) => `server:\n  listen: { host: 127.0.0.1, port: 0 }\n  admin: { host: 127.0.0.1, port: 0 }\n${store}${yaml(u)}`, {}, clock);
    };

    suite.test("exhausting a route's own ip budget refuses that route only; other routes from the same address still pass", async (t) => {
      const { gw, upstream } = await start(t, (u) => `
rateLimits: { ip: 100/min }
upstreams: { svc: { url: "${u}" } }
routes:
  - { path: /public/**, upstream: svc, auth: none }
  - { path: /channels/:id/delete, upstream: svc, auth: none, methods: [POST], rateLimit: { ip: 3/min } }
`);
      t.same(await statuses(gw, 'POST', '/channels/1/delete', 3), [200, 200, 200]);
      t.same(await statuses(gw, 'POST', '/channels/1/delete', 10), Array(10).fill(429), 'the route is refused once its own budget is spent');
      t.same(await statuses(gw, 'GET', '/public/x', 5), Array(5).fill(200), 'every other route still answers this address');
      t.equal(upstream.requests.length, 8);
    });

    suite.test('the default ip budget is still one bucket shared by every route without a budget of its own', async (t) => {
      const { gw } = await start(t, (u) => `
rateLimits: { ip: 4/min }
upstreams: { svc: { url: "${u}" } }
routes:
  - { path: /a/**, upstream: svc, auth: none }
  - { path: /b/**, upstream: svc, auth: none }
  - { path: /own/**, upstream: svc, auth: none, rateLimit: { ip: 50/min } }
`);
      t.same(await statuses(gw, 'GET', '/a/x', 2), [200, 200]);
      t.same(await statuses(gw, 'GET', '/b/x', 2), [200, 200]);
      t.equal(await status(gw, 'GET', '/a/x'), 429, '/a and /b spent one shared budget');
      t.equal(await status(gw, 'GET', '/b/x'), 429);
      t.same(await statuses(gw, 'GET', '/own/x', 5), Array(5).fill(200), 'a route with its own ip budget is not refused by the exhausted default');
    });

    suite.test("a route's own user budget does not spend or exhaust the caller's default user budget", async (t) => {
      const { gw } = await start(t, (u) => `${hsAuth()}
rbac: { tokenScopes: true }
rateLimits: { user: 100/min }
upstreams: { svc: { url: "${u}" } }
routes:
  - { path: /api/**, upstream: svc, permission: order:read }
  - { path: /export/**, upstream: svc, permission: order:read, rateLimit: { user: 2/min } }
`);
      const alice = { authorization: `Bearer ${await token({ sub: 'alice' }, { now: clock.now() })}` };
      t.same(await statuses(gw, 'GET', '/export/x', 4, alice), [200, 200, 429, 429]);
      t.same(await statuses(gw, 'GET', '/api/x', 3, alice), [200, 200, 200], "alice's other routes are unaffected");
    });
  });
}
