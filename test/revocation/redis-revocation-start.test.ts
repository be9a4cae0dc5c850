// A Redis revocation list whose connection was ready before start() still subscribes and starts current.
import t from 'tap';
import { RedisRevocationList } from '../../src/stores/redis/redis-revocation-list.js';
import { RedisStore } from '../../src/stores/redis/redis-store.js';
import { startPrivateRedis } from '../helpers/private-redis.js';

t.test('start() after the connection is ready still syncs and receives changes from another instance', async (t) => {
  const redis = await startPrivateRedis();
  const store = new RedisStore(redis.url, { commandTimeout: 200 });
  await store.ready(2_000);
  const writer = new RedisRevocationList(store.client, { syncInterval: 10_000 });
  const reader = new RedisRevocationList(store.client, { syncInterval: 10_000 });
  t.teardown(async () => {
    await writer.close();
    await reader.close();
    await store.close();
    await redis.close();
  });
  await new Promise((resolve) => setTimeout(resolve, 300)); // both subscriber connections are ready by now
  const started = performance.now();
  await Promise.all([writer.start(), reader.start()]);
  t.ok(performance.now() - started < 1_000, 'start did not wait for a ready event that had already happened');
  t.equal(reader.isCurrent(), true);
  await writer.revokeSubject({ subject: 'zoe', before: 2_000_000_000 });
  const token = { identity: { subject: 'zoe', roles: [], tenant: undefined, scopes: [] }, jti: undefined, iat: 1_900_000_000, exp: 1_999_999_999 };
  const deadline = Date.now() + 500; // the version check runs every 10 s: only pub/sub can deliver this in time
  while (!reader.isRevoked(token) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  t.equal(reader.isRevoked(token), true, 'delivered by pub/sub');
});
