// Issue 12, failover on a Cluster: the master serving the budgets' and revocations' slots is killed (kill -9) under
// load. Calls meanwhile fail (the limiter's cue for its local share), a revoked token stays refused by the local
// mirror, the store finds the promoted replica by itself, and budgets and revocations are exact afterwards. The stall
// is measured and printed, not asserted.
import t from 'tap';
import type { VerifiedToken } from '../../src/auth/claims.js';
import { RedisStore } from '../../src/stores/redis/redis-store.js';
import { startRedisCluster } from '../helpers/redis-cluster.js';

/** A token of `subject` issued now (a subject revocation covers tokens issued up to its `before`). */
function tokenOf(subject: string): VerifiedToken {
  const now = Math.floor(Date.now() / 1000);
  return { identity: { subject, roles: [] } as unknown as VerifiedToken['identity'], jti: `${subject}-1`, iat: now, exp: now + 600 };
}

t.test('kill -9 of the budgets\' master: calls fail meanwhile, no revoked token let through, the store reconnects by itself, exact after', async (t) => {
  const cluster = await startRedisCluster();
  t.teardown(() => cluster.close());
  const store = new RedisStore({ cluster: cluster.nodes }, { commandTimeout: 50 });
  t.teardown(() => store.close());
  await store.ready(5_000);
  const revocations = store.revocationList({ syncInterval: 100, now: Date.now });
  await revocations.start();
  t.teardown(() => revocations.close());
  await revocations.revokeSubject({ subject: 'mallory', before: Math.floor(Date.now() / 1000) + 60 });
  const mallory = tokenOf('mallory');
  t.equal(revocations.isRevoked(mallory), true);

  const limits = store.sharedRateLimits();
  const calls: { at: number; ok: boolean }[] = [];
  let wrongful = 0;
  let loading = true;
  const worker = (async () => {
    for (let i = 0; loading; i++) {
      const ok = await Promise.resolve(limits.consume([{ key: `load|${i}`, rate: { limit: 10, windowMs: 60_000 } }])).then(() => true, () => false);
      calls.push({ at: Date.now(), ok });
      if (!revocations.isRevoked(mallory)) wrongful++;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  await new Promise((resolve) => setTimeout(resolve, 200));
  const killedAt = Date.now();
  const oldPort = await cluster.killMasterOf('{permgate:rate}');
  const promotedMs = await cluster.promoted('{permgate:rate}', oldPort);
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && !calls.slice(-20).every((c) => c.ok && c.at > killedAt + promotedMs)) await new Promise((resolve) => setTimeout(resolve, 20));
  loading = false;
  await worker;
  t.ok(calls.slice(-20).every((c) => c.ok), 'budget calls succeed again by themselves');
  const failed = calls.filter((c) => c.at >= killedAt && !c.ok);
  const stall = failed.length === 0 ? 0 : failed.at(-1)!.at - killedAt;
  t.equal(wrongful, 0, 'the revoked subject was refused by the local mirror throughout');
  t.comment(`cluster kill -9: replica took over after ${promotedMs} ms; ${failed.length} of ${calls.filter((c) => c.at >= killedAt).length} budget calls failed, for ${stall} ms; 0 wrongful allows`);

  await revocations.revokeSubject({ subject: 'trent', before: Math.floor(Date.now() / 1000) + 60 });
  t.equal(revocations.isRevoked(tokenOf('trent')), true, 'a revocation after the failover is written and applied');
  const decisions = [];
  for (let i = 0; i < 12; i++) decisions.push((await limits.consume([{ key: 'after-failover', rate: { limit: 10, windowMs: 60_000 } }])).refusedAt);
  t.same(decisions, [...Array(10).fill(-1), 0, 0], 'a budget of 10 admits exactly 10 on the new master');
});
