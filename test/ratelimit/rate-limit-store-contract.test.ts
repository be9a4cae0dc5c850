// One contract for every rate-limit store: all buckets of a request are spent together, or none.
import t, { type Test } from 'tap';
import type { RateLimitStore } from '../../src/ratelimit/rate-limit-store.js';
import { MemoryRateLimitStore } from '../../src/stores/memory/memory-rate-limit-store.js';
import { MAX_BATCH, RedisRateLimitStore } from '../../src/stores/redis/redis-rate-limit-store.js';
import { forEachStoreFamily, privateRedisStore } from '../helpers/store-families.js';

async function contract(t: Test, store: RateLimitStore): Promise<void> {
  const wide = { key: 'wide', rate: { limit: 100, windowMs: 60_000 } };
  const narrow = { key: 'narrow', rate: { limit: 2, windowMs: 60_000 } };
  const first = await store.consume([wide, narrow]);
  t.equal(first.refusedAt, -1);
  t.same(first.buckets.map((b) => b.remaining), [99, 1]);
  await store.consume([wide, narrow]);
  const refused = await store.consume([wide, narrow]);
  t.equal(refused.refusedAt, 1, 'the narrow bucket refused');
  t.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 30_000, `retry after ${refused.retryAfterMs} ms`);
  const after = await store.consume([wide]);
  t.equal(after.buckets[0]!.remaining, 97, 'the refused request spent nothing from the wide bucket');
}

t.test('the memory store (budgets kept in this process) keeps the contract', (t) => contract(t, new MemoryRateLimitStore()));

// Every family whose budgets are shared by all instances.
forEachStoreFamily(t, (kind) => `the ${kind} family's shared budgets keep the contract`, async (t, store) => {
  const shared = store.sharedRateLimits();
  if (shared === undefined) return void t.pass(`the ${store.kind} family keeps budgets in each process: the memory store above`);
  await contract(t, shared);
});

t.test('the Redis store batches requests of one turn into one script call, each still all-or-nothing and exact', async (t) => {
  const store = await privateRedisStore(t);
  const limiter = new RedisRateLimitStore(store.client);
  const scriptCalls = async (): Promise<number> => {
    const stats = await store.client.info('commandstats');
    return Number(/cmdstat_evalsha:calls=(\d+)/.exec(stats)?.[1] ?? 0) + Number(/cmdstat_eval:calls=(\d+)/.exec(stats)?.[1] ?? 0);
  };
  const wide = { key: 'batch-wide', rate: { limit: 1000, windowMs: 60_000 } };
  const narrow = { key: 'batch-narrow', rate: { limit: 30, windowMs: 60_000 } };
  const before = await scriptCalls();
  const decisions = await Promise.all(Array.from({ length: 100 }, () => limiter.consume([wide, narrow])));
  const calls = (await scriptCalls()) - before;
  t.equal(decisions.filter((d) => d.refusedAt === -1).length, 30, 'exactly the narrow limit admitted');
  t.same(decisions.slice(0, 30).map((d) => d.refusedAt), Array(30).fill(-1), 'in arrival order: the first 30');
  t.same(decisions.slice(30).map((d) => d.refusedAt), Array(70).fill(1), 'the rest refused by the narrow bucket');
  t.same(decisions[29]!.buckets.map((b) => b.remaining), [970, 0]);
  t.ok(calls <= Math.ceil(100 / MAX_BATCH) + 1, `${calls} script calls for 100 requests (batches of at most ${MAX_BATCH}, plus a first EVAL)`);
  const after = await limiter.consume([wide]);
  t.equal(after.buckets[0]!.remaining, 969, 'refused requests spent nothing from the wide bucket');
});

t.test('a failed batch fails every request in it, and the next batch works', async (t) => {
  const store = await privateRedisStore(t);
  const limiter = new RedisRateLimitStore(store.client);
  // A bucket key holding a list makes the script fail inside Redis (WRONGTYPE).
  await store.client.lpush('{permgate:rate}:fails-list', 'x');
  const listCheck = [{ key: 'fails-list', rate: { limit: 10, windowMs: 1_000 } }];
  const outcomes = await Promise.allSettled([limiter.consume(listCheck), limiter.consume(listCheck)]);
  t.same(outcomes.map((o) => o.status), ['rejected', 'rejected']);
  t.equal((await limiter.consume([{ key: 'fine', rate: { limit: 10, windowMs: 1_000 } }])).refusedAt, -1, 'a later batch is unaffected');
});
