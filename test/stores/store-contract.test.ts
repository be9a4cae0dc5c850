// One contract, run against every Store: the embedded stores (memory, and SQLite on a file) and a private real Redis.
import t, { type Test } from 'tap';
import type { StoreConfig } from '../../src/config/types.js';
import { GatewayMetrics } from '../../src/observability/metrics.js';
import { rateLimitStores } from '../../src/ratelimit/build-rate-limiter.js';
import { MemoryRateLimitStore } from '../../src/stores/memory/memory-rate-limit-store.js';
import { MemoryStore } from '../../src/stores/memory/memory-store.js';
import { RedisStore } from '../../src/stores/redis/redis-store.js';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import type { Store } from '../../src/stores/store.js';
import { openStore } from '../../src/stores/open-store.js';
import { startPrivateRedis } from '../helpers/private-redis.js';
import { stateFile } from '../helpers/state-file.js';

const AUDIT = { changes: 100_000, denials: 10_000 };

async function contract(t: Test, open: () => Promise<Store>, kind: string): Promise<void> {
  const store = await open();
  t.equal(store.kind, kind);
  t.equal(store.status().ready, true, 'a reachable store reports ready');
  t.equal(store.status().kind, kind);
  await store.close();
}

t.test('the memory store keeps the Store contract', (t) => contract(t, async () => new MemoryStore(), 'memory'));

t.test('the SQLite store keeps the Store contract', async (t) => {
  const { path } = await stateFile(t);
  await contract(t, async () => SqliteStore.open(path), 'sqlite');
});

t.test('the redis store keeps the Store contract', async (t) => {
  const redis = await startPrivateRedis();
  t.teardown(() => redis.close());
  await contract(t, async () => {
    const store = new RedisStore(redis.url, { commandTimeout: 50 });
    await store.ready(2_000);
    return store;
  }, 'redis');
});

t.test('openStore picks Redis with a URL, else SQLite on store.path, else memory for store.path: memory', async (t) => {
  const { path } = await stateFile(t);
  const config = (redis: string | undefined, file: string | undefined): StoreConfig => ({ redis, commandTimeout: 50, path: file, audit: AUDIT });
  t.equal(openStore(config(undefined, undefined)).kind, 'memory');
  const embedded = openStore(config(undefined, path));
  t.teardown(() => embedded.close());
  t.equal(embedded.kind, 'sqlite');
  const redis = await startPrivateRedis();
  t.teardown(() => redis.close());
  const store = openStore(config(redis.url, path));
  t.teardown(() => store.close());
  t.equal(store.kind, 'redis', 'a Redis URL wins over store.path');
});

t.test('on the embedded SQLite store, rate-limit budgets are spent in memory: they start full again after a restart', async (t) => {
  const { path } = await stateFile(t);
  const store = SqliteStore.open(path);
  t.teardown(() => store.close());
  const stores = rateLimitStores(store, new GatewayMetrics({ processMetrics: false }), { warn() {} } as never, Date.now);
  t.ok(stores.shared instanceof MemoryRateLimitStore);
  t.equal(stores.breaker, undefined, 'nothing remote to break');
  t.same(store.db.prepare("SELECT name FROM sqlite_schema WHERE name LIKE '%rate%' OR name LIKE '%budget%'").all(), [], 'no budget is kept in the file');
});

t.test('a redis store reports an outage at once, fails commands fast, and recovers by itself', async (t) => {
  const redis = await startPrivateRedis();
  t.teardown(() => redis.close());
  const store = new RedisStore(redis.url, { commandTimeout: 50 });
  t.teardown(() => store.close());
  await store.ready(2_000);

  await redis.stop();
  await new Promise((resolve) => setTimeout(resolve, 100));
  const down = store.status();
  t.equal(down.ready, false, 'not ready while Redis is down');
  t.ok(down.detail, 'says why');
  t.notMatch(JSON.stringify(down), /redis:\/\//, 'the status never carries the URL');
  const started = Date.now();
  await t.rejects(store.client.get('k'), 'a command fails instead of queueing');
  t.ok(Date.now() - started < 500, 'and fails fast');

  await redis.start();
  await store.ready(5_000);
  t.equal(store.status().ready, true, 'ready again without any help');
  t.equal(await store.client.set('k', 'v'), 'OK');
});
