// Reload across workers (issue 12): the primary validates first, every worker prepares the candidate, then all swap
// it in; SIGHUP and POST /admin/reload take the same path; an invalid file changes nothing anywhere.
import t from 'tap';
import { fresh, startFleet, type FleetProcess } from '../helpers/fleet-process.js';
import { startPrivateRedis } from '../helpers/private-redis.js';
import { startProcessUpstream } from '../helpers/process-upstream.js';
import { admin, fleetConfig } from './fleet-config.js';

/** Statuses of `n` requests on fresh connections, and the workers that answered them (from the access log). */
async function sweep(fleet: FleetProcess, path: string, n = 12): Promise<{ statuses: number[]; workers: Set<unknown> }> {
  const before = fleet.lines().length;
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push((await fresh(`${fleet.url}${path}`)).status);
  await new Promise((resolve) => setTimeout(resolve, 100)); // the last access-log lines
  const workers = new Set(fleet.lines().slice(before).filter((line) => line.msg === 'request' && line.path === path).map((line) => line.worker));
  return { statuses, workers };
}

t.test('SIGHUP and POST /admin/reload reload every worker; an invalid file changes nothing anywhere', async (t) => {
  const redis = await startPrivateRedis();
  const upstream = await startProcessUpstream();
  const config = (routes = ''): string => fleetConfig({ redis: redis.url, upstream: upstream.url, server: '  accessLog: true\n', routes });
  const fleet = await startFleet(config());
  t.teardown(async () => {
    await fleet.close();
    await upstream.close();
    await redis.close();
  });
  const pids = new Set(fleet.workers());
  t.equal(pids.size, 2);

  let seen = await sweep(fleet, '/extra/a');
  t.same(seen.statuses, Array(12).fill(404), 'no /extra route yet');

  await fleet.write(config('  - { path: /extra/**, upstream: svc, auth: none }\n'));
  fleet.child.kill('SIGHUP');
  await fleet.waitForLine((line) => line.msg === 'config reloaded' && line.worker === undefined);
  seen = await sweep(fleet, '/extra/a');
  t.same(seen.statuses, Array(12).fill(200), 'after SIGHUP, every request on a fresh connection has the new route');
  t.same(seen.workers, pids, 'answered by both workers');

  // Invalid: names an upstream that does not exist. The primary refuses it; no worker sees it.
  await fleet.write(config('  - { path: /extra/**, upstream: svc, auth: none }\n  - { path: /bad/**, upstream: missing, auth: none }\n'));
  const refused = await fetch(`${fleet.adminUrl}/admin/reload`, { method: 'POST', headers: admin(), body: '{}' });
  t.equal(refused.status, 400);
  t.match(await refused.json(), { error: { code: 'PG_CONFIG_INVALID', detail: /routes\[2\]\.upstream/ } });
  seen = await sweep(fleet, '/extra/b');
  t.same(seen.statuses, Array(12).fill(200), 'the config in force stays on every worker');
  t.equal(fleet.lines().filter((line) => line.msg === 'config reload rejected; the config in force stays').length, 1, 'the refusal is logged once, by the primary');
  t.equal(fleet.lines().filter((line) => line.msg === 'config reloaded (fleet)').length, 2, 'workers prepared nothing for it');

  // The API reloads a valid file the same way.
  await fleet.write(config('  - { path: /other/**, upstream: svc, auth: none }\n'));
  const applied = await fetch(`${fleet.adminUrl}/admin/reload`, { method: 'POST', headers: admin(), body: '{}' });
  t.equal(applied.status, 200);
  t.same((await sweep(fleet, '/other/c')).statuses, Array(12).fill(200), 'the new route is served everywhere');
  t.same((await sweep(fleet, '/extra/c')).statuses, Array(12).fill(404), 'the old one is gone everywhere');
  const metrics = await (await fetch(`${fleet.adminUrl}/metrics`)).text();
  t.match(metrics, /permgate_config_reloads_total\{outcome="applied"\} 2/, 'each reload counted once for the fleet');
  t.match(metrics, /permgate_config_reloads_total\{outcome="rejected"\} 1/);
});
