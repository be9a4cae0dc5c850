// A resync says changes may have been missed; on a Redis Cluster it can come while the master holding a subject's
// record is still failing over. Subjects compiled before it are read again before their next use; only if that read
// fails does a route that is not sensitive keep deciding on them, while they are younger than maxStaleness, exactly as
// with any compiled subject while the store is away. Subjects never compiled, sensitive routes, and subjects older
// than maxStaleness get 503. (Before, a resync dropped every compiled subject, and a failover answered 503 to callers
// served a moment before.) Real Redis, stopped and started again.
import t from 'tap';
import { defaultRbac } from '../../src/config/validate-rbac.js';
import type { RbacConfig } from '../../src/config/rbac-types.js';
import type { Identity } from '../../src/auth/identity.js';
import { RbacAuthorizer } from '../../src/rbac/rbac-authorizer.js';
import type { PermissionCode } from '../../src/routing/permission-template.js';
import { RedisStore } from '../../src/stores/redis/redis-store.js';
import { startPrivateRedis } from '../helpers/private-redis.js';
import { testClock } from '../helpers/test-clock.js';

const id = (subject: string): Identity => ({ subject, roles: [], tenant: undefined, scopes: [] });

t.test('after a resync with the store away: the last known permissions on ordinary routes, 503 where they cannot serve', async (t) => {
  const redis = await startPrivateRedis();
  const store = new RedisStore(redis.url, { commandTimeout: 100 });
  t.teardown(async () => {
    await store.close();
    await redis.close();
  });
  await store.ready(5_000);
  const clock = testClock();
  const viewer = { roles: [{ role: 'viewer' }], grants: [], denies: [] };
  const config: RbacConfig = {
    ...defaultRbac(),
    maxStaleness: 60_000,
    policy: { roles: new Map([['viewer', { name: 'viewer', grants: ['order:read'], denies: [], inherits: [] }]]), subjects: new Map([['alice', viewer], ['bob', viewer]]) },
  };
  const cache: string[] = [];
  const rbac = new RbacAuthorizer(config, store.rbacStore({ syncInterval: 100, now: clock.now }), { now: clock.now, onCache: (result) => cache.push(result) });
  await rbac.start();
  t.teardown(() => rbac.close());
  const ask = async (subject: string, sensitive = false): Promise<string> => {
    try {
      return (await rbac.authorize({ identity: id(subject), tenant: undefined, codes: ['order:read' as PermissionCode], mode: 'all', sensitive })).allowed ? 'allow' : 'deny';
    } catch (err) {
      return (err as { code?: string }).code ?? String(err);
    }
  };

  t.equal(await ask('alice'), 'allow', 'alice compiled while the store is up');
  await redis.stop();
  rbac.apply({ kind: 'resync', reason: 'reconnected' });
  cache.length = 0;
  t.equal(await ask('alice'), 'allow', 'alice: read again, the read fails, her last known permissions decide');
  t.same(cache, ['miss'], 'it was a read, not a cache hit');
  t.equal(await ask('alice', true), 'PG_STORE_UNAVAILABLE', 'a sensitive route: 503');
  t.equal(await ask('bob'), 'PG_STORE_UNAVAILABLE', 'bob was never compiled: 503');
  clock.advance(61_000);
  t.equal(await ask('alice'), 'PG_STORE_UNAVAILABLE', 'older than maxStaleness: 503');

  await redis.start();
  let back = false;
  for (const deadline = Date.now() + 10_000; !back && Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 50))) back = (await ask('bob')) === 'allow';
  t.ok(back, 'with the store back, bob is read and compiled');
  cache.length = 0;
  t.equal(await ask('alice'), 'allow');
  t.same(cache, ['miss'], 'alice was read again (the resync is not forgotten)');
  t.equal(await ask('alice'), 'allow');
  t.same(cache, ['miss', 'hit'], 'and is a cache hit from then on');
});
