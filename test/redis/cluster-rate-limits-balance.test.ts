// Issue 12, "Cluster keys": 10,000 distinct users (each from its own address) through the real limiter on a
// 3-master cluster, two instances: each master does within ±25 % of the mean of the limiter's commands and holds
// within ±25 % of its keys, and requests sent together cost far less than one script call each.
import t from 'tap';
import { measureClusterBalance, describeBalance } from '../../bench/cluster-balance.js';
import { startRedisCluster } from '../helpers/redis-cluster.js';

t.test('10,000 users spread the limiter over three masters within ±25 %, at under one script call per request', async (t) => {
  const cluster = await startRedisCluster();
  t.teardown(() => cluster.close());
  const report = await measureClusterBalance(cluster, 10_000);
  t.comment(describeBalance(report));
  t.equal(report.masters.length, 3);
  t.equal(report.admitted, 10_000, 'no request refused: every budget is ample');
  t.ok(report.commandSpread <= 0.25, `commands per master within ±25 % of the mean (${(100 * report.commandSpread).toFixed(1)} %)`);
  t.ok(report.keySpread <= 0.25, `keys per master within ±25 % of the mean (${(100 * report.keySpread).toFixed(1)} %)`);
  t.ok(report.scriptCallsPerRequest <= 1, `script calls per request ≤ 1 (${report.scriptCallsPerRequest.toFixed(3)})`);
});
