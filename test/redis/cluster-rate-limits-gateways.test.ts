// Issue 12, "Cluster keys", end to end: two gateways on one 3-master cluster, 400 concurrent HTTP requests split
// between them against one budget of 200 (global, route, or user; anonymous callers count per address in the user
// dimension): at most 202 admitted and at least 180, only admitted requests reach the upstream, and nothing falls
// back to the local share. Not `ip`: the per-IP guard counts attempts in each process first and would blur what the
// shared budget does; cluster-rate-limits.test.ts proves the ip budget at the store.
import { Redis } from 'ioredis';
import t from 'tap';
import { startGateway, type GatewayUnderTest } from '../helpers/gateway-under-test.js';
import { startRecordingUpstream } from '../helpers/recording-upstream.js';
import { startRedisCluster } from '../helpers/redis-cluster.js';

const cluster = await startRedisCluster();
t.teardown(() => cluster.close());
const upstream = await startRecordingUpstream();
t.teardown(() => upstream.close());

const AMPLE = '100000/h';

function yaml(limits: string): string {
  return `
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0 }
store:
  redis: { cluster: [${cluster.nodes.join(', ')}] }
rateLimits: ${limits}
upstreams: { svc: { url: "${upstream.url}" } }
routes:
  - { path: /a/**, upstream: svc, auth: none }
`;
}

const fallbacks = async (gw: GatewayUnderTest): Promise<number> =>
  Number(/permgate_rate_limit_fallbacks_total (\d+)/.exec(await (await fetch(`${gw.adminUrl}/metrics`)).text())?.[1] ?? 0);

for (const bound of ['global', 'route', 'user'] as const) {
  t.test(`two gateways, 400 concurrent requests, one ${bound} budget of 200: at most 202 admitted, at least 180`, async (t) => {
    // Every master emptied: each case starts from full buckets, as two fresh gateways do.
    for (const { port } of await cluster.masters()) {
      const node = new Redis({ port, host: '127.0.0.1' });
      await node.flushall();
      node.disconnect();
    }
    const limits = `{ global: ${bound === 'global' ? '200/h' : AMPLE}, route: ${bound === 'route' ? '200/h' : AMPLE}, user: ${bound === 'user' ? '200/h' : AMPLE} }`;
    const gateways = [await startGateway(yaml(limits)), await startGateway(yaml(limits))];
    t.teardown(async () => {
      for (const gw of gateways) await gw.close();
    });
    const reached = upstream.requests.length;
    const statuses = await Promise.all(
      Array.from({ length: 400 }, (_, i) => fetch(`${gateways[i % 2]!.url}/a/x`).then(async (r) => (await r.arrayBuffer(), r.status))),
    );
    const admitted = statuses.filter((s) => s === 200).length;
    t.comment(`${bound}: ${admitted} of 400 admitted against a budget of 200`);
    t.ok(admitted <= 202, `at most the limit × 1.01 (${admitted})`);
    t.ok(admitted >= 180, `at least 0.9 × the limit (${admitted})`);
    t.equal(statuses.filter((s) => s === 429).length, 400 - admitted, 'the rest are 429');
    t.equal(upstream.requests.length - reached, admitted, 'only admitted requests reached the upstream');
    t.equal((await fallbacks(gateways[0]!)) + (await fallbacks(gateways[1]!)), 0, 'no request fell back to the local share');
  });
}
