// Redis stopped and restarted under load (a private redis-server): each stage does what it promised — revocations
// from the mirror (allow-cached), RBAC from compiled permissions, rate limits from the local share — sensitive routes
// fail closed, no request hangs, readiness says "degraded", and everything returns to normal by itself.
import t from 'tap';
import { startGateway } from '../helpers/gateway-under-test.js';
import { startPrivateRedis } from '../helpers/private-redis.js';
import { startRecordingUpstream } from '../helpers/recording-upstream.js';
import { hsAuth, token } from '../helpers/tokens.js';

interface Sample {
  readonly path: string;
  readonly status: number;
  readonly code: string | undefined;
  readonly ms: number;
  readonly at: number;
}

t.test('Redis down and back under load: defined behaviour per stage, no hang, recovery by itself', async (t) => {
  const redis = await startPrivateRedis();
  const upstream = await startRecordingUpstream();
  const gw = await startGateway(`
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0 }
store:
  redis: "${redis.url}"
${hsAuth({ revocation: '{ onStoreDown: allow-cached, syncInterval: 100ms }' })}
rbac:
  syncInterval: 100ms
  subjects:
    alice: { grants: ["api:*"] }
rateLimits: { route: 100000/s, user: 100000/s, instances: 2 }
upstreams:
  svc: { url: "${upstream.url}" }
routes:
  - { path: /api/**, upstream: svc, permission: api:read }
  - { path: /sensitive/**, upstream: svc, permission: api:write, sensitive: true }
`);
  t.teardown(async () => {
    await gw.close();
    await upstream.close();
    await redis.close();
  });
  const alice = { authorization: `Bearer ${await token({ sub: 'alice', scope: undefined })}` };
  const samples: Sample[] = [];
  let running = true;
  const paths = ['/api/x', '/sensitive/x'];
  const workers = Array.from({ length: 6 }, async (_, w) => {
    for (let i = w; running; i++) {
      const path = paths[i % 2]!;
      const started = performance.now();
      const res = await fetch(`${gw.url}${path}`, { headers: alice });
      const body = (await res.json()) as { error?: { code?: string } };
      samples.push({ path, status: res.status, code: body.error?.code, ms: performance.now() - started, at: performance.now() });
    }
  });
  await new Promise((resolve) => setTimeout(resolve, 300));
  const stoppedAt = performance.now();
  await redis.stop();
  await new Promise((resolve) => setTimeout(resolve, 700)); // past 3 sync intervals: nothing can be known current
  const ready = (await (await fetch(`${gw.adminUrl}/readyz`)).json()) as Record<string, unknown>;
  t.match(ready, { status: 'degraded', store: { ready: false }, revocations: { current: false }, rbac: { current: false } }, 'readiness reports the degradation');
  await new Promise((resolve) => setTimeout(resolve, 800));
  const restartedAt = performance.now();
  await redis.start();
  let recoveredAt = Infinity;
  while (performance.now() - restartedAt < 10_000) {
    if ((await fetch(`${gw.url}/sensitive/x`, { headers: alice })).status === 200) {
      recoveredAt = performance.now();
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  running = false;
  await Promise.all(workers);

  const outage = samples.filter((s) => s.at > stoppedAt + 500 && s.at < restartedAt);
  const ordinary = outage.filter((s) => s.path === '/api/x');
  const sensitive = outage.filter((s) => s.path === '/sensitive/x');
  t.ok(ordinary.length > 10 && sensitive.length > 10, `${outage.length} requests during the outage`);
  t.same(ordinary.filter((s) => s.status !== 200), [], 'ordinary route: served (revocation mirror, compiled permissions, local rate-limit share)');
  t.same(sensitive.filter((s) => s.status !== 503 || s.code !== 'PG_STORE_UNAVAILABLE'), [], 'sensitive route: 503 PG_STORE_UNAVAILABLE');
  const slowest = Math.max(...samples.map((s) => s.ms));
  t.ok(slowest < 1_000, `no request hung: slowest ${slowest.toFixed(0)} ms`);
  t.same(samples.filter((s) => s.status >= 500 && s.code !== 'PG_STORE_UNAVAILABLE'), [], 'no other 5xx');
  t.ok(recoveredAt - restartedAt < 5_000, `sensitive route back ${(recoveredAt - restartedAt).toFixed(0)} ms after Redis returned`);
  const after = samples.filter((s) => s.at > recoveredAt);
  t.same(after.filter((s) => s.status !== 200), [], 'after recovery every request is 200 again');
  t.match(await (await fetch(`${gw.adminUrl}/readyz`)).json(), { status: 'ready', revocations: { current: true }, rbac: { current: true } });
  t.comment(`${samples.length} requests; outage ${(restartedAt - stoppedAt).toFixed(0)} ms; recovery ${(recoveredAt - restartedAt).toFixed(0)} ms; slowest ${slowest.toFixed(0)} ms`);
});
