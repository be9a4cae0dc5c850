// When a dead worker is started again, and when the supervisor gives up (src/fleet/restart-policy.ts).
import t from 'tap';
import { RestartPolicy } from '../../src/fleet/restart-policy.js';

const options = { initialDelay: 100, maxDelay: 1_000, stableAfter: 30_000, startFailures: 3 };

t.test('restarts back off exponentially per slot, up to the cap', async (t) => {
  const policy = new RestartPolicy(options);
  policy.served();
  const delays = Array.from({ length: 6 }, () => policy.died(0, { lived: 5_000, served: true }));
  t.same(delays.map((d) => (d.action === 'restart' ? d.delay : -1)), [100, 200, 400, 800, 1_000, 1_000]);
  t.same(policy.died(1, { lived: 5_000, served: true }), { action: 'restart', delay: 100 }, 'another slot has its own streak');
});

t.test('a worker that lived stableAfter resets its slot', async (t) => {
  const policy = new RestartPolicy(options);
  policy.died(0, { lived: 10, served: true });
  policy.died(0, { lived: 10, served: true });
  t.same(policy.died(0, { lived: 30_000, served: true }), { action: 'restart', delay: 100 });
});

t.test('workers dying before they serve, three in a row, make it give up; one that serves resets the count', async (t) => {
  const policy = new RestartPolicy(options);
  t.equal(policy.died(0, { lived: 50, served: false }).action, 'restart');
  t.equal(policy.died(1, { lived: 50, served: false }).action, 'restart');
  policy.served();
  t.equal(policy.died(0, { lived: 50, served: false }).action, 'restart');
  t.equal(policy.died(1, { lived: 50, served: false }).action, 'restart');
  t.same(policy.died(0, { lived: 50, served: false }), { action: 'give-up', failures: 3 });
});
