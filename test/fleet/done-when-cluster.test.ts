// Issue 12's "done when" on a 3-master Redis Cluster (test/fleet/done-when.ts has the run); the master killed is the
// one holding the revocation list's keys.
import t from 'tap';
import { startRedisCluster } from '../helpers/redis-cluster.js';
import { doneWhen, keyOnNodes } from './done-when.js';

t.test('two instances × two workers on a Redis Cluster: every criterion of the done-when in one run', async (t) => {
  const cluster = await startRedisCluster();
  t.teardown(() => cluster.close());
  await doneWhen(t, {
    store: `{ cluster: [${cluster.nodes.join(', ')}] }`,
    keyMatching: async (pattern) => keyOnNodes((await cluster.masters()).map((master) => `127.0.0.1:${master.port}`), pattern),
    async killMasterOf(key) {
      const port = await cluster.killMasterOf(key);
      return { promoted: cluster.promoted(key, port) };
    },
  });
});
