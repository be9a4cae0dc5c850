// Issue 12, "bursts are not outages": 300 concurrent requests on two shared cores make Redis answers late, not
// missing. A late answer is waited for while Redis keeps answering, so a budget of 100 admits at most 100 and nothing
// falls back; a Redis that answers nothing (paused) still hands the decision to the local share.
import t from 'tap';
import { startGateway } from '../helpers/gateway-under-test.js';
import { startPrivateRedis } from '../helpers/private-redis.js';
import { startRecordingUpstream } from '../helpers/recording-upstream.js';

const fallbacks = async (adminUrl: string): Promise<number> => Number(/permgate_rate_limit_fallbacks_total (\d+)/.exec(await (await fetch(`${adminUrl}/metrics`)).text())?.[1] ?? 0);

t.test('300 concurrent requests against a budget of 100, three times over: never more than 100 admitted, no fallback', async (t) => {
  const redis = await startPrivateRedis();
  const upstream = await startRecordingUpstream();
  const gw = await startGateway(`
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0 }
store:
  redis: "${redis.url}"
  commandTimeout: 50ms
rateLimits: { route: 100/h, instances: 2 }
upstreams: { svc: { url: "${upstream.url}" } }
routes:
  - { path: /a/**, upstream: svc, auth: none }
  - { path: /b/**, upstream: svc, auth: none }
  - { path: /c/**, upstream: svc, auth: none }
  - { path: /d/**, upstream: svc, auth: none }
`);
  t.teardown(async () => {
    await gw.close();
    await upstream.close();
    await redis.close();
  });
  for (const route of ['a', 'b', 'c']) {
    const results = await Promise.all(Array.from({ length: 300 }, () => fetch(`${gw.url}/${route}/x`).then(async (r) => (await r.arrayBuffer(), r.status))));
    const admitted = results.filter((s) => s === 200).length;
    t.comment(`/${route}: admitted ${admitted} of 300`);
    t.ok(admitted <= 100, `/${route}: at most the budget admitted (${admitted})`);
    t.ok(admitted >= 99, `/${route}: and the budget is used, not refused by a local share`);
  }
  t.equal(await fallbacks(gw.adminUrl), 0, 'no request fell back to the local share');

  // A real outage is still one: the connection is gone, so the local share (100 / 2 instances) decides at once.
  await redis.stop();
  const started = performance.now();
  const down = await Promise.all(Array.from({ length: 60 }, () => fetch(`${gw.url}/d/x`).then(async (r) => (await r.arrayBuffer(), r.status))));
  t.equal(down.filter((s) => s === 200).length, 50, 'with Redis down, the local share of 50 decides');
  t.ok(performance.now() - started < 2_000, 'without waiting for the dead store');
  t.ok((await fallbacks(gw.adminUrl)) >= 60, 'and every one of those requests is counted as a fallback');
});
