// Supervision (issue 12): a worker that dies is replaced, with backoff, while the others keep serving; workers that
// keep dying at start make the primary exit non-zero, naming why.
import { createServer } from 'node:net';
import t from 'tap';
import { fresh, startFleet } from '../helpers/fleet-process.js';
import { freePort, startPrivateRedis } from '../helpers/private-redis.js';
import { startProcessUpstream } from '../helpers/process-upstream.js';
import { fleetConfig } from './fleet-config.js';

t.test('a SIGKILLed worker is replaced and requests keep being served meanwhile', async (t) => {
  const redis = await startPrivateRedis();
  const upstream = await startProcessUpstream();
  const fleet = await startFleet(fleetConfig({ redis: redis.url, upstream: upstream.url }));
  t.teardown(async () => {
    await fleet.close();
    await upstream.close();
    await redis.close();
  });
  const [victim, survivor] = fleet.workers();
  t.ok(victim !== undefined && survivor !== undefined, 'two workers serve');
  process.kill(victim!, 'SIGKILL');
  // A connection handed to the victim as it died is lost with it; once the primary saw the death, and while the
  // victim is replaced, every request on a fresh connection is answered (by the survivor).
  await fleet.waitForLine((line) => line.msg === 'worker died; restarting it');
  const statuses: number[] = [];
  const replaced = fleet.waitForLine((line) => line.msg === 'worker serving' && line.pid !== victim && line.pid !== survivor, 20_000);
  let done = false;
  void replaced.then(() => (done = true), () => (done = true));
  while (!done) statuses.push((await fresh(`${fleet.url}/public/x`)).status);
  const died = fleet.lines().find((line) => line.msg === 'worker died; restarting it');
  t.match(died, { pid: victim, signal: 'SIGKILL', restartIn: 100 }, 'the death is logged with why and when the restart comes');
  t.ok(statuses.length > 0 && statuses.every((status) => status === 200), `all ${statuses.length} requests during the replacement were 200`, { statuses: statuses.join(' ') });
  await replaced;
  t.equal(fleet.workers().length, 2, 'two workers serve again');
  const after = await Promise.all(Array.from({ length: 10 }, () => fresh(`${fleet.url}/public/y`)));
  t.same(after.map((answer) => answer.status), Array(10).fill(200));
  const metrics = await (await fetch(`${fleet.adminUrl}/metrics`)).text();
  t.match(metrics, /permgate_fleet_worker_restarts_total\{reason="crashed"\} 1/);
  t.match(metrics, /permgate_fleet_workers\{state="serving"\} 2/);
});

t.test('workers that keep dying at start make the primary exit 1, naming the reason', async (t) => {
  const redis = await startPrivateRedis();
  const upstream = await startProcessUpstream();
  // The data-plane port is taken by another process: every worker's listen fails.
  const port = await freePort();
  const squatter = createServer();
  await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
  const fleet = await startFleet(fleetConfig({ redis: redis.url, upstream: upstream.url }), { ports: { port, adminPort: await freePort() }, expectExit: true });
  t.teardown(async () => {
    await fleet.close();
    squatter.close();
    await upstream.close();
    await redis.close();
  });
  const started = Date.now();
  t.equal(await fleet.exited(), 1, 'exit 1');
  t.match(fleet.output(), /workers keep dying at start \(3 in a row\); the last: .*EADDRINUSE/);
  t.ok(Date.now() - started < 40_000, 'gives up within seconds, not forever');
});
