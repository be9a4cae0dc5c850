// Issue 12's "done when" through Sentinel (test/fleet/done-when.ts has the run): the master killed is the one the
// sentinels name, which holds every key.
import t from 'tap';
import { startRedisSentinel } from '../helpers/redis-sentinel.js';
import { doneWhen, keyOnNodes } from './done-when.js';

t.test('two instances × two workers through Sentinel: every criterion of the done-when in one run', async (t) => {
  const sentinel = await startRedisSentinel();
  t.teardown(() => sentinel.close());
  await doneWhen(t, {
    store: `{ sentinels: [${sentinel.sentinels.join(', ')}], name: ${sentinel.name} }`,
    keyMatching: async (pattern) => keyOnNodes([`127.0.0.1:${await sentinel.masterPort()}`], pattern),
    async killMasterOf() {
      const port = await sentinel.killMaster();
      return { promoted: sentinel.promoted(port) };
    },
  });
});
