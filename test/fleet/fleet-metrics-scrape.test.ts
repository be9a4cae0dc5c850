// One scrape of the primary's /metrics shows the fleet (issue 12): the requests both workers served, summed; a
// worker that does not answer (SIGSTOPped) costs its own series and the scrape stays bounded by the 1 s deadline.
import t from 'tap';
import { fresh, startFleet } from '../helpers/fleet-process.js';
import { startPrivateRedis } from '../helpers/private-redis.js';
import { startProcessUpstream } from '../helpers/process-upstream.js';
import { fleetConfig } from './fleet-config.js';

const served = (text: string): number => Number(/permgate_requests_total\{route="\/public\/\*\*",method="GET",status="200",code=""\} (\d+)/.exec(text)?.[1] ?? 0);

t.test('one scrape sums both workers; a silent worker leaves it bounded and says so', async (t) => {
  const redis = await startPrivateRedis();
  const upstream = await startProcessUpstream();
  const fleet = await startFleet(fleetConfig({ redis: redis.url, upstream: upstream.url, server: '  accessLog: true\n' }));
  const [first, second] = fleet.workers();
  t.teardown(async () => {
    if (second !== undefined) process.kill(second, 'SIGCONT');
    await fleet.close();
    await upstream.close();
    await redis.close();
  });
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => fresh(`${fleet.url}/public/${i}`)));
  t.same(answers.map((a) => a.status), Array(20).fill(200));
  await new Promise((resolve) => setTimeout(resolve, 100));
  const workers = new Set(fleet.lines().filter((line) => line.msg === 'request').map((line) => line.worker));
  t.same(workers, new Set([first, second]), 'both workers served some of them');

  const whole = await (await fetch(`${fleet.adminUrl}/metrics`)).text();
  t.equal(served(whole), 20, 'one scrape counts the 20 requests of both workers');
  t.match(whole, /permgate_fleet_scrape_workers\{outcome="answered"\} 2/);

  process.kill(second!, 'SIGSTOP');
  const started = performance.now();
  const partial = await (await fetch(`${fleet.adminUrl}/metrics`)).text();
  const took = performance.now() - started;
  t.ok(took < 2_000, `the scrape took ${took.toFixed(0)} ms with one worker silent (deadline 1 s)`);
  t.match(partial, /permgate_fleet_scrape_workers\{outcome="answered"\} 1/);
  t.match(partial, /permgate_fleet_scrape_workers\{outcome="late"\} 1/);
  t.ok(served(partial) > 0 && served(partial) < 20, 'the answering worker\'s series are there, the silent one\'s are not');
  process.kill(second!, 'SIGCONT');
});
