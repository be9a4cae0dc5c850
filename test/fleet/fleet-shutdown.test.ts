// SIGTERM to the primary (issue 12): readiness turns 503, every worker drains as a single process does, no request
// in flight is lost, and the primary exits 0 once all have exited.
import t from 'tap';
import { fresh, startFleet } from '../helpers/fleet-process.js';
import { startPrivateRedis } from '../helpers/private-redis.js';
import { startProcessUpstream } from '../helpers/process-upstream.js';
import { fleetConfig } from './fleet-config.js';

t.test('SIGTERM under load: every request in flight on both workers completes, then exit 0', async (t) => {
  const redis = await startPrivateRedis();
  const upstream = await startProcessUpstream();
  const fleet = await startFleet(fleetConfig({ redis: redis.url, upstream: upstream.url, server: '  accessLog: true\n' }));
  t.teardown(async () => {
    await fleet.close();
    await upstream.close();
    await redis.close();
  });
  const inFlight = Array.from({ length: 20 }, (_, i) => fresh(`${fleet.url}/public/slow${i}?delay=600`));
  await new Promise((resolve) => setTimeout(resolve, 300)); // all 20 are at the upstream now
  fleet.child.kill('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 100));
  const readiness = await fetch(`${fleet.adminUrl}/readyz`).then((r) => r.status, () => 0);
  t.ok(readiness === 503 || readiness === 0, `readiness is 503 while draining (got ${readiness})`);
  const statuses = (await Promise.all(inFlight)).map((answer) => answer.status);
  t.same(statuses, Array(20).fill(200), 'no request was cut');
  const workers = new Set(fleet.lines().filter((line) => line.msg === 'request').map((line) => line.worker));
  t.equal(workers.size, 2, 'they were spread over both workers');
  t.equal(await fleet.exited(), 0, 'the primary exits 0');
  t.equal((await fresh(`${fleet.url}/public/after`)).status, 0, 'nothing is accepted after the drain');
});
