// Issue 12, "Done when": RBAC and revocation changes written through one instance's store are heard by another
// instance (its own connections, its own subscriber) within 100 ms — on a private 3-master cluster, where the feeds
// announce with SPUBLISH and listen with SSUBSCRIBE (sharded pub/sub), and through a private Sentinel group (classic
// pub/sub). The time is from the start of the write to the other instance having the change.
import { Redis } from 'ioredis';
import t, { type Test } from 'tap';
import type { VerifiedToken } from '../../src/auth/claims.js';
import type { RbacChange } from '../../src/rbac/rbac-store.js';
import type { SubjectRecord } from '../../src/rbac/model.js';
import type { RedisTarget } from '../../src/stores/redis/redis-connection.js';
import { RBAC_SHARD_CHANNEL } from '../../src/stores/redis/redis-rbac-store.js';
import { RedisStore } from '../../src/stores/redis/redis-store.js';
import { startRedisCluster } from '../helpers/redis-cluster.js';
import { startRedisSentinel } from '../helpers/redis-sentinel.js';

const WRITES = 20;
const record = (i: number): SubjectRecord => ({ roles: [{ role: `role-${i}` }], grants: [], denies: [] }) as unknown as SubjectRecord;

function tokenOf(subject: string): VerifiedToken {
  const now = Math.floor(Date.now() / 1000);
  return { identity: { subject, roles: [] } as unknown as VerifiedToken['identity'], jti: `${subject}-1`, iat: now, exp: now + 600 };
}

async function openStore(t: Test, target: RedisTarget): Promise<RedisStore> {
  const store = new RedisStore(target, { commandTimeout: 200 });
  t.teardown(() => store.close());
  await store.ready(5_000);
  return store;
}

async function until(check: () => boolean, deadlineMs = 1_000): Promise<void> {
  const deadline = performance.now() + deadlineMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Each write's time until the other instance has it, in ms: RBAC subjects, then subject revocations. */
async function propagation(t: Test, target: RedisTarget): Promise<{ rbac: number[]; revocation: number[] }> {
  const [a, b] = [await openStore(t, target), await openStore(t, target)];
  const rbacA = a.rbacStore({ syncInterval: 1_000, now: Date.now });
  const rbacB = b.rbacStore({ syncInterval: 1_000, now: Date.now });
  const heard = new Map<string, number>();
  await rbacA.start(() => {});
  await rbacB.start((change: RbacChange) => void (change.kind === 'subject' && heard.set(change.name, performance.now())));
  const revA = a.revocationList({ syncInterval: 1_000, now: Date.now });
  const revB = b.revocationList({ syncInterval: 1_000, now: Date.now });
  await revA.start();
  await revB.start();
  t.teardown(async () => {
    for (const closable of [rbacA, rbacB, revA, revB]) await closable.close();
  });
  await until(() => rbacB.isCurrent() && revB.isCurrent(), 5_000);

  const rbac: number[] = [];
  for (let i = 0; i < WRITES; i++) {
    const name = `subject-${i}`;
    const started = performance.now();
    t.equal(await rbacA.writeSubject(name, '', record(i)), true);
    await until(() => heard.has(name));
    rbac.push(heard.get(name)! - started);
    t.same((await rbacB.loadSubject(name)).value, record(i), `${name}: the other instance reads what was written, once told`);
  }
  const revocation: number[] = [];
  for (let i = 0; i < WRITES; i++) {
    const token = tokenOf(`revoked-${i}`);
    const started = performance.now();
    await revA.revokeSubject({ subject: token.identity.subject, before: Math.floor(Date.now() / 1000) + 60 });
    await until(() => revB.isRevoked(token));
    revocation.push(performance.now() - started);
  }
  return { rbac, revocation };
}

const max = (values: number[]): number => Math.max(...values);

t.test('on a cluster: every change is on the other instance within 100 ms, announced with SPUBLISH on the feeds\' own shards', async (t) => {
  const cluster = await startRedisCluster();
  t.teardown(() => cluster.close());
  const { rbac, revocation } = await propagation(t, { cluster: cluster.nodes });
  t.ok(max(rbac) < 100, `RBAC: slowest ${max(rbac).toFixed(1)} ms of ${WRITES}`);
  t.ok(max(revocation) < 100, `revocations: slowest ${max(revocation).toFixed(1)} ms of ${WRITES}`);

  let spublish = 0;
  let publish = 0;
  let rbacSubscribers = 0;
  for (const { port } of await cluster.masters()) {
    const node = new Redis({ port, host: '127.0.0.1' });
    const stats = await node.info('commandstats');
    spublish += Number(/cmdstat_spublish:calls=(\d+)/.exec(stats)?.[1] ?? 0);
    publish += Number(/cmdstat_publish:calls=(\d+)/.exec(stats)?.[1] ?? 0);
    rbacSubscribers += (await node.call('PUBSUB', 'SHARDNUMSUB', RBAC_SHARD_CHANNEL) as [string, number])[1];
    node.disconnect();
  }
  t.equal(spublish, 2 * WRITES, 'every announcement was a sharded publish');
  t.equal(publish, 0, 'none was copied to every node by a classic PUBLISH');
  t.equal(rbacSubscribers, 2, 'both instances listen with SSUBSCRIBE on the shard of `{permgate:rbac}`');
});

t.test('through Sentinel: every change is on the other instance within 100 ms', async (t) => {
  const group = await startRedisSentinel();
  t.teardown(() => group.close());
  const { rbac, revocation } = await propagation(t, { sentinels: group.sentinels, name: group.name });
  t.ok(max(rbac) < 100, `RBAC: slowest ${max(rbac).toFixed(1)} ms of ${WRITES}`);
  t.ok(max(revocation) < 100, `revocations: slowest ${max(revocation).toFixed(1)} ms of ${WRITES}`);
});
