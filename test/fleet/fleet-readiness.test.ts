// A fleet primary's /readyz (issue 12): it lists every worker (pid, ready, restarts) and is ready while at least one
// worker is ready and serving; a hung worker stops reporting and stops counting, without slowing the probe.
import t from 'tap';
import { readiness, type ReadinessFacts } from '../../src/admin/readiness.js';
import { READINESS_STALE } from '../../src/fleet/worker-link.js';
import { startFleet } from '../helpers/fleet-process.js';
import { startPrivateRedis } from '../helpers/private-redis.js';
import { startProcessUpstream } from '../helpers/process-upstream.js';
import { fleetConfig } from './fleet-config.js';

interface Ready {
  readonly code: number;
  readonly ms: number;
  readonly body: { status: string; workers?: { pid: number; ready: boolean; restarts: number }[] };
}

const facts = (workers: ReadinessFacts['workers']): ReadinessFacts => ({
  draining: false,
  storeReady: true,
  workers,
  routes: [{ pattern: '/api/**', public: false, sensitive: false, onStoreDown: undefined }],
  revocations: { current: true, onStoreDown: 'deny' },
  rbac: { current: true, unreachableFor: 0, maxStaleness: 30_000 },
});

t.test('the rule: unready with no ready worker, degraded with some, ready with all; a single process has none', async (t) => {
  t.equal(readiness(facts([{ pid: 1, ready: false, restarts: 0 }, { pid: 2, ready: false, restarts: 3 }])).status, 'unready');
  t.equal(readiness(facts([])).status, 'unready', 'a fleet with no worker at all');
  t.equal(readiness(facts([{ pid: 1, ready: true, restarts: 0 }, { pid: 2, ready: false, restarts: 1 }])).status, 'degraded');
  t.equal(readiness(facts([{ pid: 1, ready: true, restarts: 0 }, { pid: 2, ready: true, restarts: 0 }])).status, 'ready');
  t.equal(readiness(facts(undefined)).status, 'ready');
  t.equal(readiness({ ...facts([{ pid: 1, ready: true, restarts: 0 }]), draining: true }).status, 'draining');
});

t.test('a fleet primary\'s /readyz lists its workers and follows them: stopped, restarted, back', async (t) => {
  const redis = await startPrivateRedis();
  const upstream = await startProcessUpstream();
  const fleet = await startFleet(fleetConfig({ redis: redis.url, upstream: upstream.url }));
  const [first, second] = fleet.workers();
  t.teardown(async () => {
    for (const pid of [first, second]) {
      try {
        process.kill(pid!, 'SIGCONT');
      } catch {
        // gone
      }
    }
    await fleet.close();
    await upstream.close();
    await redis.close();
  });
  const ready = async (): Promise<Ready> => {
    const started = performance.now();
    const res = await fetch(`${fleet.adminUrl}/readyz`);
    return { code: res.status, body: (await res.json()) as Ready['body'], ms: performance.now() - started };
  };
  /** Polls until `test` holds (resolves with that answer) or the deadline passes (resolves with the last one). */
  const until = async (test: (answer: Ready) => boolean, deadline = READINESS_STALE + 3_000): Promise<Ready> => {
    const end = Date.now() + deadline;
    let answer = await ready();
    while (!test(answer) && Date.now() < end) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      answer = await ready();
    }
    return answer;
  };

  let answer = await ready();
  t.equal(answer.code, 200);
  t.equal(answer.body.status, 'ready');
  t.same(answer.body.workers?.map((w) => w.pid).sort(), [first, second].sort(), 'both workers, by pid');
  t.ok(answer.body.workers?.every((w) => w.ready && w.restarts === 0), 'both ready, never restarted');

  process.kill(second!, 'SIGSTOP');
  answer = await until((a) => a.body.status === 'degraded');
  t.equal(answer.code, 200, 'one worker hung: still ready (200), degraded');
  t.match(answer.body.workers?.find((w) => w.pid === second), { ready: false });

  process.kill(first!, 'SIGSTOP');
  answer = await until((a) => a.code === 503);
  t.equal(answer.code, 503, 'no worker ready: 503');
  t.equal(answer.body.status, 'unready');
  t.ok(answer.ms < 500, `the primary answers at once with its workers hung (${answer.ms.toFixed(0)} ms)`);

  process.kill(first!, 'SIGCONT');
  process.kill(second!, 'SIGCONT');
  answer = await until((a) => a.body.status === 'ready');
  t.equal(answer.code, 200, 'both back: ready again');

  process.kill(first!, 'SIGKILL');
  const replacement = await fleet.waitForLine((line) => line.msg === 'worker serving' && line.pid !== first && line.pid !== second, 20_000);
  answer = await until((a) => a.body.status === 'ready' && a.body.workers?.some((w) => w.pid === replacement.pid) === true);
  t.equal(answer.code, 200);
  t.match(answer.body.workers?.find((w) => w.pid === replacement.pid), { ready: true, restarts: 1 }, 'the replacement is listed, its slot restarted once');
  t.match(answer.body.workers?.find((w) => w.pid === second), { ready: true, restarts: 0 });
});
