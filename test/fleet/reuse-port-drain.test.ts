// SIGTERM to a fleet with `server.reusePort: auto` (issue 12) under keep-alive load loses no request: /readyz is 503
// at once, kept-alive clients are served (with Connection: close) through server.drainDelay, the request in flight
// across it completes, and every worker stops accepting at the one moment the primary named, so no worker's socket
// closes (resetting what waits in its accept queue) while another still takes connections. On a Node with reusePort
// each worker owns its socket here (checked first); on an older one they share the primary's, and the same holds.
import { Agent } from 'node:http';
import t from 'tap';
import { reusePortSupported } from '../../src/server/reuse-port.js';
import { startFleet } from '../helpers/fleet-process.js';
import { listeningOwners } from '../helpers/listening-sockets.js';
import { startPrivateRedis } from '../helpers/private-redis.js';
import { startProcessUpstream } from '../helpers/process-upstream.js';
import { timedGet, type TimedAnswer } from '../helpers/timed-get.js';
import { fleetConfig } from './fleet-config.js';

const DRAIN_DELAY = 2_000;
const supported = reusePortSupported();

t.test(`SIGTERM under keep-alive load with reusePort auto (${supported ? 'a socket per worker' : 'the shared socket'} on Node ${process.versions.node}): nothing lost, the workers stop accepting together, exit 0`, async (t) => {
  const redis = await startPrivateRedis();
  const upstream = await startProcessUpstream();
  const fleet = await startFleet(fleetConfig({ redis: redis.url, upstream: upstream.url, drainDelay: `${DRAIN_DELAY}ms`, server: '  reusePort: auto\n  drainTimeout: 5s\n' }));
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  t.teardown(async () => {
    agent.destroy();
    await fleet.close();
    await upstream.close();
    await redis.close();
  });
  const workers = fleet.workers();
  const owners = await listeningOwners(fleet.port, [fleet.child.pid!, ...workers]);
  t.same(workers.map((pid) => owners.byPid.get(pid)!.length), supported ? [1, 1] : [0, 0], supported ? 'each worker owns a listening socket' : 'the workers own none (the primary does)');

  // Four kept-alive clients, as a load balancer's connections; they stop a second after /readyz said 503, as a
  // balancer would, well before the delay ends.
  const answers: TimedAnswer[] = [];
  let stopAt = Infinity;
  const clients = Array.from({ length: 4 }, async () => {
    while (performance.now() < stopAt) answers.push(await timedGet(agent, `${fleet.url}/public/x?delay=20`));
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
  const slow = timedGet(undefined, `${fleet.url}/public/slow?delay=${DRAIN_DELAY + 500}`); // in flight across the delay
  await new Promise((resolve) => setTimeout(resolve, 50));
  const signalled = performance.now();
  fleet.child.kill('SIGTERM');

  let readiness = await fetch(`${fleet.adminUrl}/readyz`).then((r) => r.status);
  while (readiness === 200 && performance.now() - signalled < 1_000) readiness = await fetch(`${fleet.adminUrl}/readyz`).then((r) => r.status);
  t.equal(readiness, 503, `/readyz is 503 ${(performance.now() - signalled).toFixed(0)} ms after SIGTERM`);
  stopAt = performance.now() + 1_000;
  await Promise.all(clients);
  t.same(answers.filter((a) => a.status !== 200), [], `every one of ${answers.length} requests was answered 200: no reset, no 503`);
  t.ok(answers.filter((a) => a.sentAt > signalled + 100 && a.connection === 'close').length > 3, 'kept-alive clients were served during the delay, each answer closing its connection');

  // Each worker logs how long it serves before it stops accepting: both end at the moment the primary named.
  const drains = await Promise.all(workers.map((pid) => fleet.waitForLine((line) => line.msg === 'worker draining and stopping' && line.worker === pid)));
  const spread = (values: number[]): number => Math.max(...values) - Math.min(...values);
  const ends = drains.map((line) => (line.time as number) + (line.drainDelay as number));
  const heard = spread(drains.map((line) => line.time as number));
  t.ok(spread(ends) <= 25, `both workers stop accepting at one moment: ${spread(ends)} ms apart (they heard of the drain ${heard} ms apart)`);
  t.match(drains, [{ why: 'the primary drains the fleet' }, { why: 'the primary drains the fleet' }], 'told by the primary, not each by its own signal');

  await new Promise((resolve) => setTimeout(resolve, Math.max(0, signalled + DRAIN_DELAY + 400 - performance.now())));
  t.same((await listeningOwners(fleet.port, [])).inodes, [], 'past the delay no socket listens on the port');
  t.match(await timedGet(undefined, `${fleet.url}/public/late`), { status: 0, error: 'ECONNREFUSED' }, 'and a new connection is refused');
  t.match(await slow, { status: 200 }, 'the request in flight across the delay completes');
  t.equal(await fleet.exited(), 0, 'the primary exits 0');
});
