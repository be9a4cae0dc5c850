// Budgets shared through Redis: two instances under concurrent load admit exactly the limit between them, in one
// round-trip per request; with Redis down each instance limits to its share, and Redis takes over again by itself.
import { Redis } from 'ioredis';
import t from 'tap';
import { startGateway, type GatewayUnderTest } from '../helpers/gateway-under-test.js';
import { startPrivateRedis } from '../helpers/private-redis.js';
import { startRecordingUpstream } from '../helpers/recording-upstream.js';

function yaml(redisUrl: string, upstreamUrl: string, limits: string): string {
  return `
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0 }
store:
  redis: "${redisUrl}"
rateLimits: ${limits}
upstreams: { svc: { url: "${upstreamUrl}" } }
routes:
  - { path: /a/**, upstream: svc, auth: none }
`;
}

async function burst(gateways: GatewayUnderTest[], total: number): Promise<number[]> {
  return Promise.all(Array.from({ length: total }, (_, i) => fetch(`${gateways[i % gateways.length]!.url}/a/x`).then((r) => r.status)));
}

t.test('two instances, 400 concurrent requests, a budget of 200: exactly 200 admitted, at most one Redis call per request', async (t) => {
  const redis = await startPrivateRedis();
  const upstream = await startRecordingUpstream();
  const a = await startGateway(yaml(redis.url, upstream.url, '{ route: 200/h, ip: 1000/h }'));
  const b = await startGateway(yaml(redis.url, upstream.url, '{ route: 200/h, ip: 1000/h }'));
  const raw = new Redis(redis.url);
  t.teardown(async () => {
    raw.disconnect();
    await a.close();
    await b.close();
    await upstream.close();
    await redis.close();
  });
  // Scripts that ran: a connection's first EVALSHA of a script Redis has not seen fails (NOSCRIPT, counted in
  // failed_calls) and is sent again as EVAL, once per gateway and script; the failed attempt ran nothing.
  const calls = async (): Promise<number> => {
    const stats = await raw.info('commandstats');
    let ran = 0;
    for (const name of ['evalsha', 'eval']) {
      const line = new RegExp(`cmdstat_${name}:calls=(\\d+).*failed_calls=(\\d+)`).exec(stats);
      if (line) ran += Number(line[1]) - Number(line[2]);
    }
    return ran;
  };
  const before = await calls();
  const startedAt = performance.now();
  const results = await burst([a, b], 400);
  // Besides budgets, each gateway runs one small script a second: the sweep of stale RBAC write intents.
  const sweeps = 2 * Math.ceil((performance.now() - startedAt) / 1000 + 1);
  const admitted = results.filter((s) => s === 200).length;
  t.comment(`admitted ${admitted} of 400 against a shared budget of 200`);
  t.ok(Math.abs(admitted - 200) <= 2, `admitted ${admitted}, within 1% of 200`);
  t.equal(results.filter((s) => s === 429).length, 400 - admitted, 'the rest are 429');
  t.equal(upstream.requests.length, admitted, 'only admitted requests reached the upstream');
  const scripts = (await calls()) - before;
  t.comment(`${scripts} script calls for 400 requests, at most ${sweeps} of them intent sweeps`);
  t.ok(scripts <= 400 + sweeps, 'at most one round-trip per request for every dimension together');
});

t.test('with Redis down, each instance limits to its share; when Redis returns it is used again', async (t) => {
  const redis = await startPrivateRedis();
  const upstream = await startRecordingUpstream();
  // `route`, not `ip`: the per-IP guard counts attempts in-process and would blur what the shared budget does.
  const gw = await startGateway(yaml(redis.url, upstream.url, '{ route: 10/h, instances: 2 }'));
  t.teardown(async () => {
    await gw.close();
    await upstream.close();
    await redis.close();
  });
  await redis.stop();
  const started = performance.now();
  const down = await burst([gw], 8);
  t.ok(performance.now() - started < 2_000, 'no request waits for the dead store');
  t.equal(down.filter((s) => s === 200).length, 5, 'the local share: 10 / 2 instances');
  const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
  t.match(metrics, /permgate_rate_limit_fallbacks_total [1-9]/);

  await redis.start(); // an empty Redis: a fresh shared budget of 10
  // Wait until the store is back and its breaker lets a probe through (readiness), then the shared budget decides again.
  const deadline = Date.now() + 10_000;
  const recovered = async (): Promise<boolean> => {
    const ready = (await (await fetch(`${gw.adminUrl}/readyz`)).json()) as { store: { ready: boolean }; breakers: Record<string, string> };
    return ready.store.ready && ready.breakers['store:rate-limits'] !== 'open';
  };
  while (Date.now() < deadline && !(await recovered())) await new Promise((resolve) => setTimeout(resolve, 50));
  const fallbacksBefore = Number(/permgate_rate_limit_fallbacks_total (\d+)/.exec(await (await fetch(`${gw.adminUrl}/metrics`)).text())?.[1]);
  const after = await burst([gw], 12);
  t.comment(`after recovery: ${JSON.stringify(after)}`);
  t.equal(after.filter((s) => s === 200).length, 10, 'the shared budget (10, fresh in the restarted Redis) decides again');
  const fallbacksAfter = Number(/permgate_rate_limit_fallbacks_total (\d+)/.exec(await (await fetch(`${gw.adminUrl}/metrics`)).text())?.[1]);
  t.equal(fallbacksAfter, fallbacksBefore, 'no request fell back once Redis was back');
});

t.test('a Redis that is slow (clients paused) costs a request at most the command timeout, then the local share decides', async (t) => {
  const redis = await startPrivateRedis();
  const upstream = await startRecordingUpstream();
  const gw = await startGateway(yaml(redis.url, upstream.url, '{ route: 10/h, instances: 2 }'));
  const raw = new Redis(redis.url);
  t.teardown(async () => {
    raw.disconnect();
    await gw.close();
    await upstream.close();
    await redis.close();
  });
  t.equal((await burst([gw], 1))[0], 200);
  await raw.client('PAUSE', 1500, 'ALL'); // every client, the gateway's included, now waits 1.5 s for an answer
  const started = performance.now();
  const status = (await burst([gw], 1))[0];
  const ms = performance.now() - started;
  t.equal(status, 200, 'decided by the local share');
  t.ok(ms < 500, `answered in ${ms.toFixed(0)} ms, not after the pause`);
  t.match(await (await fetch(`${gw.adminUrl}/metrics`)).text(), /permgate_rate_limit_fallbacks_total [1-9]/);
});
