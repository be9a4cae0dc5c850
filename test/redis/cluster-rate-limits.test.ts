// Issue 12, "Cluster keys", on a real 3-master cluster: two instances (each its own Cluster connection) hammering the
// same budgets admit at most the limit (× 1.01) and not far below it, in every dimension; a request refused by one
// master's bucket spends nothing on another master; and a batch of concurrent requests costs fewer script calls than
// requests; a call that Redis answers late (but answers) is waited for and counted in
// permgate_rate_limit_late_calls_total; cells an idle instance leased come back after one lease life. The balance over masters at 10,000 users is
// cluster-rate-limits-balance.test.ts.
import t from 'tap';
import { Redis } from 'ioredis';
import type { BucketCheck, RateLimitStore } from '../../src/ratelimit/rate-limit-store.js';
import { clusterKey, masterOf } from '../../src/stores/redis/cluster-placement.js';
import { RedisStore } from '../../src/stores/redis/redis-store.js';
import { GatewayMetrics } from '../../src/observability/metrics.js';
import { rateLimitStores } from '../../src/ratelimit/build-rate-limiter.js';
import type { Cluster } from 'ioredis';
import { startRedisCluster } from '../helpers/redis-cluster.js';

const cluster = await startRedisCluster();
t.teardown(() => cluster.close());

async function instance(): Promise<{ store: RedisStore; limits: RateLimitStore }> {
  const store = new RedisStore({ cluster: cluster.nodes }, { commandTimeout: 200 });
  t.teardown(() => store.close());
  await store.ready(5_000);
  return { store, limits: store.sharedRateLimits() };
}

const [a, b] = [await instance(), await instance()];

const HOUR = 3_600_000;
const ample = { limit: 1_000_000, windowMs: HOUR };

/** A request's buckets as the limiter builds them (rate-limiter.ts #checks): the bound dimension gets `limit`. */
function checksOf(run: string, bound: 'global' | 'route' | 'ip' | 'user', limit: number, n: number): BucketCheck[] {
  const rate = (dimension: string) => (dimension === bound ? { limit, windowMs: HOUR } : ample);
  // The bound client dimension is one client; the other one differs per request, so its buckets spread.
  const ip = bound === 'ip' ? `10.0.0.1-${run}` : `10.${n >> 16}.${(n >> 8) & 255}.${n & 255}-${run}`;
  const user = bound === 'user' ? `u:alice-${run}` : `u:user${n}-${run}`;
  return [
    { key: `g-${run}`, rate: rate('global'), shared: true },
    { key: `r|GET /api/**-${run}`, rate: rate('route'), shared: true },
    { key: `i|${ip}`, rate: rate('ip'), owner: ip },
    { key: `u|${user}`, rate: rate('user'), owner: user },
  ];
}

/** Both instances send `waves` waves of `concurrency` requests at once each; how many were admitted. */
async function hammer(run: string, bound: 'global' | 'route' | 'ip' | 'user', limit: number, waves: number, concurrency: number): Promise<number> {
  let n = 0;
  let admitted = 0;
  for (let wave = 0; wave < waves; wave++) {
    const decisions = await Promise.all(
      [a, b].flatMap(({ limits }) => Array.from({ length: concurrency }, () => limits.consume(checksOf(run, bound, limit, n++)))),
    );
    admitted += decisions.filter((d) => d.refusedAt === -1).length;
  }
  return admitted;
}

for (const bound of ['user', 'ip', 'route', 'global'] as const) {
  t.test(`two instances hammering one ${bound} budget of 300 admit at most 303 and at least 270`, async (t) => {
    const admitted = await hammer(`exact-${bound}`, bound, 300, 8, 75);
    t.comment(`${bound}: ${admitted} of 1200 admitted against a budget of 300`);
    t.ok(admitted <= 303, `at most the limit × 1.01 (${admitted})`);
    t.ok(admitted >= 270, `at least 0.9 × the limit (${admitted}): the limiter does not refuse what the budget allows`);
  });
}

/** Two owners whose buckets live on different masters, as the client's slot map has them. */
function ownersOnTwoMasters(client: Cluster, prefix: string): [string, string] {
  const first = `${prefix}-0`;
  for (let i = 1; ; i++) {
    const other = `${prefix}-${i}`;
    if (masterOf(client, clusterKey(other, `x|${other}`)) !== masterOf(client, clusterKey(first, `x|${first}`))) return [first, other];
  }
}

t.test('a request refused by one master\'s bucket spends nothing from its bucket on another master', async (t) => {
  const [user, ip] = ownersOnTwoMasters(a.store.rateClient as Cluster, 'refund');
  const userCheck = { key: `x|${user}`, owner: user, rate: { limit: 1, windowMs: HOUR } };
  const ipCheck = { key: `x|${ip}`, owner: ip, rate: { limit: 5, windowMs: HOUR } };
  t.equal((await a.limits.consume([ipCheck, userCheck])).refusedAt, -1, 'the first request is admitted');
  const refused = await Promise.all([a.limits.consume([ipCheck, userCheck]), b.limits.consume([ipCheck, userCheck]), a.limits.consume([ipCheck, userCheck])]);
  t.same(refused.map((d) => d.refusedAt), [1, 1, 1], 'the next three are refused by the user bucket');
  // Each instance sent its refunds as it answered, on its own connection: one more call of b's to that master
  // arrives after b's refund, as a's next one arrives after a's.
  await b.limits.consume([{ key: `y|${ip}`, owner: ip, rate: { limit: 5, windowMs: HOUR } }]);
  const after = await a.limits.consume([ipCheck]);
  t.equal(after.refusedAt, -1);
  t.equal(after.buckets[0]!.remaining, 3, 'the address bucket lost only the admitted request and this one (5 - 2)');
  // And a request refused by a shared (leased) bucket gives back its per-client spends too.
  const globalCheck = { key: 'g-refund', shared: true, rate: { limit: 1, windowMs: HOUR } };
  t.equal((await a.limits.consume([globalCheck, ipCheck])).refusedAt, -1);
  t.equal((await a.limits.consume([globalCheck, ipCheck])).refusedAt, 0, 'the global budget of 1 is spent');
  const last = await a.limits.consume([ipCheck]);
  t.equal(last.buckets[0]!.remaining, 1, 'the address bucket lost the admitted request and this one only (5 - 4)');
});

async function scriptCalls(): Promise<number> {
  let calls = 0;
  for (const { port } of await cluster.masters()) {
    const node = new Redis({ port, host: '127.0.0.1' });
    const stats = await node.info('commandstats');
    node.disconnect();
    calls += Number(/cmdstat_evalsha:calls=(\d+)/.exec(stats)?.[1] ?? 0) + Number(/cmdstat_eval:calls=(\d+)/.exec(stats)?.[1] ?? 0);
  }
  return calls;
}

t.test('a batch of concurrent requests costs at most one script call per request on average (here far fewer)', async (t) => {
  // Warm: the scripts are loaded on every master and the leases exist, as in a running gateway.
  await Promise.all(Array.from({ length: 64 }, (_, n) => a.limits.consume(checksOf('calls', 'user', 1_000_000, n))));
  const before = await scriptCalls();
  const requests = 640;
  const decisions = await Promise.all(Array.from({ length: requests }, (_, n) => a.limits.consume(checksOf('calls', 'user', 1_000_000, 1_000 + n))));
  const calls = (await scriptCalls()) - before;
  t.equal(decisions.filter((d) => d.refusedAt === -1).length, requests, 'every request admitted');
  t.comment(`${calls} script calls for ${requests} concurrent requests (${(calls / requests).toFixed(3)} per request)`);
  t.ok(calls <= requests, `${calls} calls ≤ ${requests} requests`);
  t.ok(calls <= (requests / 64) * 4 + 3, 'about one call per master (plus a lease refill) per batch of 64');
});

t.test('a budget call answered late, behind a slow command on its master, is waited for and counted in the late-calls metric', async (t) => {
  const store = new RedisStore({ cluster: cluster.nodes }, { commandTimeout: 40 });
  t.teardown(() => store.close());
  await store.ready(5_000);
  const metrics = new GatewayMetrics({ processMetrics: false });
  const silent = { info() {}, warn() {}, error() {} };
  const stores = rateLimitStores(store, metrics, silent, Date.now);
  t.teardown(() => stores.breaker?.shutdown());
  const owner = 'late-caller';
  const key = clusterKey(owner, `u|${owner}`);
  // The budget connection pipelines what is sent in one turn (auto-pipelining) and answers a pipeline as a whole:
  // A goes out with 30 ms of work and is answered at about 30 ms; B, sent 5 ms later, goes out with 30 ms more after
  // that and is answered at about 60 ms. At B's 40 ms deadline A has been answered since B was sent (Redis is busy,
  // not gone), so B is waited for.
  const busy = "local t = redis.call('TIME') local s = t[1] * 1000000 + t[2] repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] - s > 30000 return 1";
  const check = { key: `u|${owner}`, owner, rate: { limit: 5, windowMs: HOUR } };
  await stores.shared.consume([check]);
  const first = stores.shared.consume([check]);
  const slow = [store.rateClient.eval(busy, 1, key)];
  await new Promise((resolve) => setTimeout(resolve, 5));
  const second = stores.shared.consume([check]);
  slow.push(store.rateClient.eval(busy, 1, key));
  t.equal((await first).refusedAt, -1, 'the call that went out with 30 ms of work was answered in time');
  const decision = await second;
  await Promise.all(slow);
  t.equal(decision.refusedAt, -1, 'the call was answered, not failed to the local share');
  const text = await metrics.registry.metrics();
  const late = Number(/^permgate_rate_limit_late_calls_total (\d+)/m.exec(text)?.[1]);
  t.ok(late >= 1, `counted as late (${late})`);
});

t.test('cells an idle instance leased are held from the others for one lease life at most, then given back', async (t) => {
  const global = { key: 'g-lease-return', shared: true, rate: { limit: 1_000, windowMs: HOUR } };
  // a leases a slice (1 % of 1,000: 10 cells) for its one request and then sits idle, holding 9.
  t.equal((await a.limits.consume([global])).refusedAt, -1);
  const burst = async (): Promise<number> => {
    const decisions = await Promise.all(Array.from({ length: 1_200 }, () => b.limits.consume([global])));
    return decisions.filter((d) => d.refusedAt === -1).length;
  };
  const first = await burst();
  t.equal(first, 990, 'b gets all but the 9 cells a holds (and the one a used)');
  // A lease lives a hundredth of the window, at most 1 s; then a gives its unused cells back to Redis.
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  const second = await burst();
  t.equal(second, 9, 'after a\'s lease expired, its 9 unused cells are b\'s');
  t.comment(`one budget of 1,000: 1 + ${first} + ${second} admitted`);
});
