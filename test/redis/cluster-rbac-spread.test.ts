// Issue 12, "Cluster keys", for RBAC: each subject's record is a key with its own hash tag, so the cache-miss reads of
// many subjects spread over a cluster's masters instead of all landing on the one that owns `{permgate:rbac}`. On a
// private 3-master cluster: 10,000 subjects written through the store, each read once as on a cache miss; the busiest
// master serves at most 45 % of those reads (ideal 33 %; 100 % when every subject lived in one hash).
import t from 'tap';
import { measureRbacShare } from '../../bench/cluster-rbac-share.js';
import { startRedisCluster } from '../helpers/redis-cluster.js';

t.test('10,000 subjects: every one reads back as written, and no master serves more than 45 % of the reads', async (t) => {
  const cluster = await startRedisCluster();
  t.teardown(() => cluster.close());
  const report = await measureRbacShare(cluster, 10_000);
  t.equal(report.correct, 10_000, 'each load returned the record written for that subject');
  t.equal(report.masters.length, 3);
  t.equal(report.masters.reduce((sum, m) => sum + m.gets, 0), 10_000, 'one GET per load, nothing else read a subject');
  t.ok(report.busiestGetShare <= 0.45, `busiest master: ${(report.busiestGetShare * 100).toFixed(1)} % of the subject reads`);
  t.ok(report.masters.every((m) => m.gets > 0), 'every master serves some');
});
