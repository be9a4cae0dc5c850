// One contract for both rate-limit stores: all buckets of a request are spent together, or none.
import t, { type Test } from 'tap';
import type { RateLimitStore } from '../../src/ratelimit/rate-limit-store.js';
import { MemoryRateLimitStore } from '../../src/stores/memory/memory-rate-limit-store.js';
import { RedisRateLimitStore } from '../../src/stores/redis/redis-rate-limit-store.js';
import { RedisStore } from '../../src/stores/redis/redis-store.js';
import { startPrivateRedis } from '../helpers/private-redis.js';

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

t.test('the memory store keeps the contract', (t) => contract(t, new MemoryRateLimitStore()));

t.test('the Redis store keeps the contract', async (t) => {
  const redis = await startPrivateRedis();
  const store = new RedisStore(redis.url, { commandTimeout: 200 });
  t.teardown(async () => {
    await store.close();
    await redis.close();
  });
  await store.ready(2_000);
  await contract(t, new RedisRateLimitStore(store.client));
});
