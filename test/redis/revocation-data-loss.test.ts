// A revocation the store forgets is still a revocation. Redis replication is asynchronous: a failover can promote a
// replica that never received the last acknowledged writes, and a Redis restarted without persistence holds nothing.
// An instance that resyncs from such a store keeps the revocations it held (the store is behind it, or in another
// epoch), writes them back so every other instance and a later restart sees them, and a restore afterwards works as
// ever. Real Redis; the loss is made by FLUSHALL and dropping every connection, as a failover does.
import { Redis } from 'ioredis';
import t from 'tap';
import type { VerifiedToken } from '../../src/auth/claims.js';
import { RedisStore } from '../../src/stores/redis/redis-store.js';
import { startPrivateRedis } from '../helpers/private-redis.js';

const seconds = (): number => Math.floor(Date.now() / 1000);
const tokenOf = (subject: string, jti: string, iat: number): VerifiedToken => ({ identity: { subject } as VerifiedToken['identity'], jti, iat, exp: iat + 600 });

async function eventually(check: () => boolean | Promise<boolean>, ms = 5_000): Promise<boolean> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 20))) if (await check()) return true;
  return false;
}

t.test('the store loses its revocations: the instance keeps them, gives them back, and a restore still works', async (t) => {
  const redis = await startPrivateRedis();
  const raw = new Redis(redis.url);
  const store = new RedisStore(redis.url, { commandTimeout: 500 });
  t.teardown(async () => {
    raw.disconnect();
    await store.close();
    await redis.close();
  });
  await store.ready(5_000);
  const kept: number[] = [];
  const resyncs: string[] = [];
  const list = store.revocationList({ syncInterval: 100, now: Date.now, onKept: (n) => kept.push(n), onResync: (reason) => resyncs.push(reason) });
  t.teardown(() => list.close());
  await list.start();

  const iat = seconds() - 5;
  await list.revokeSubject({ subject: 'mallory', before: seconds() });
  await list.revokeToken({ jti: 'stolen-1', exp: seconds() + 3600 });
  const mallory = tokenOf('mallory', 'm-1', iat);
  const stolen = tokenOf('alice', 'stolen-1', iat);
  const bob = tokenOf('bob', 'b-1', iat);
  t.ok(list.isRevoked(mallory) && list.isRevoked(stolen) && !list.isRevoked(bob), 'revoked before the loss');

  // The loss: every key gone, every connection dropped (as when a replica without them is promoted).
  await raw.flushall();
  await raw.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
  await raw.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
  t.ok(await eventually(() => resyncs.length > 1 && list.isCurrent()), `resynced (${resyncs.slice(1).join(', ')}) and current again`);
  t.ok(list.isRevoked(mallory), 'the subject stays revoked');
  t.ok(list.isRevoked(stolen), 'the token stays revoked');
  t.notOk(list.isRevoked(bob), 'nobody else is');
  t.ok(kept.length > 0 && kept[0] === 2, 'both were counted as kept');

  // Given back: the store holds them again, so a fresh instance (or a restart) sees them.
  t.ok(await eventually(async () => (await raw.hexists('{permgate:revocation}:subjects', 'mallory')) === 1 && (await raw.zscore('{permgate:revocation}:tokens', 'stolen-1')) !== null), 'written back to the store');
  const fresh = new RedisStore(redis.url, { commandTimeout: 500 });
  t.teardown(() => fresh.close());
  await fresh.ready(5_000);
  const other = fresh.revocationList({ syncInterval: 100, now: Date.now });
  t.teardown(() => other.close());
  await other.start();
  t.ok(other.isRevoked(mallory) && other.isRevoked(stolen), 'a new instance finds both in the store');

  // The store, healed, is the truth again: a restore is heard everywhere and not undone by the next resync.
  t.equal(await list.restoreSubject('mallory'), true, 'the restore finds the revocation');
  t.ok(await eventually(() => !list.isRevoked(mallory) && !other.isRevoked(mallory)), 'restored on both instances');
  await raw.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
  const before = resyncs.length;
  t.ok(await eventually(() => resyncs.length > before && list.isCurrent()), 'another resync');
  t.notOk(list.isRevoked(mallory), 'the restore holds: an ordinary resync takes the store at its word');
  t.ok(list.isRevoked(stolen), 'and the token is still revoked');
});
