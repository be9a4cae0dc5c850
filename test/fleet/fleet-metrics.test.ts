// One scrape for the fleet (src/fleet/fleet-metrics.ts): counters summed, histograms merged, a worker that misses
// the deadline leaves out its own series and is counted as late, never failing the scrape.
import { Registry } from 'prom-client';
import t from 'tap';
import { FleetMetrics, FleetRegistry, type MetricsJson } from '../../src/fleet/fleet-metrics.js';
import { GatewayMetrics } from '../../src/observability/metrics.js';

async function workerJson(served: number, seconds: number[]): Promise<MetricsJson> {
  const metrics = new GatewayMetrics({ processMetrics: false });
  for (let i = 0; i < served; i++) metrics.requests.inc({ route: '/public/**', method: 'GET', status: '200', code: '' });
  for (const s of seconds) metrics.gatewayDuration.observe({ route: '/public/**' }, s);
  metrics.breakerState.set({ breaker: 'upstream:svc' }, served > 2 ? 2 : 0);
  return metrics.own.getMetricsAsJSON();
}

t.test('counters are summed, histograms merged bucket by bucket, breaker states take the worst', async (t) => {
  const answers = [await workerJson(3, [0.001, 0.2]), await workerJson(2, [0.001])];
  const primary = new GatewayMetrics({
    processMetrics: false,
    exposition: (own) => new FleetRegistry(own, async () => answers, new FleetMetrics(own)),
  });
  const text = await primary.registry.metrics();
  t.match(text, /permgate_requests_total\{route="\/public\/\*\*",method="GET",status="200",code=""\} 5/);
  t.match(text, /permgate_gateway_duration_seconds_bucket\{le="0.001",route="\/public\/\*\*"\} 2/);
  t.match(text, /permgate_gateway_duration_seconds_count\{route="\/public\/\*\*"\} 3/);
  t.match(text, /permgate_breaker_state\{breaker="upstream:svc"\} 2/);
  t.match(text, /permgate_fleet_scrape_workers\{outcome="answered"\} 2/);
});

t.test('a worker past the deadline costs its own series, not the scrape', async (t) => {
  const own = new Registry();
  const registry = new FleetRegistry(own, async () => [await workerJson(4, []), undefined], new FleetMetrics(own));
  const text = await registry.metrics();
  t.match(text, /permgate_requests_total\{[^}]*\} 4/);
  t.match(text, /permgate_fleet_scrape_workers\{outcome="late"\} 1/);
});
