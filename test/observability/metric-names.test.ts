// Every metric a gateway exports follows Prometheus's naming rules (issue 14): a permgate_ prefix; counters, and only
// counters, end in _total; no gauge is named _total (prom-client's default nodejs_active_*_total gauges are left out:
// sum() of the labelled gauges gives the same number); time is in seconds and sizes in bytes, named by their unit.
import { Registry } from 'prom-client';
import t from 'tap';
import { FleetMetrics } from '../../src/fleet/fleet-metrics.js';
import { GAUGES_NAMED_TOTAL } from '../../src/observability/metrics.js';
import { gatewayWithUpstream } from '../helpers/gateway-under-test.js';
import { freePort } from '../helpers/private-redis.js';

t.test('every exported metric is named by the Prometheus conventions', async (t) => {
  const { gw } = await gatewayWithUpstream(t, (url) => `upstreams:\n  svc: { url: "${url}" }\nroutes:\n  - { path: /x, upstream: svc, auth: none }\n`, {}, { processMetrics: true });
  const fleet = new Registry();
  new FleetMetrics(fleet);
  const metrics = [...(await gw.gateway.metrics.registry.getMetricsAsJSON()), ...(await fleet.getMetricsAsJSON())];
  t.ok(metrics.length > 40, `${metrics.length} metrics`);
  const problems: string[] = [];
  for (const { name, type, help } of metrics) {
    const kind = String(type);
    if (!/^permgate_[a-z0-9_]+$/.test(name)) problems.push(`${name}: not permgate_ and snake_case`);
    if (kind === 'counter' && !name.endsWith('_total')) problems.push(`${name}: a counter without _total`);
    if (kind !== 'counter' && name.endsWith('_total')) problems.push(`${name}: a ${kind} named _total`);
    if (/_(ms|milliseconds|minutes|kb|mb|kilobytes|megabytes)(_|$)/.test(name)) problems.push(`${name}: not a base unit`);
    if (kind === 'histogram' && /duration|latency|time/.test(name) && !name.endsWith('_seconds')) problems.push(`${name}: a time histogram not in seconds`);
    if (help === '') problems.push(`${name}: no help`);
  }
  t.same(problems, []);
  for (const name of GAUGES_NAMED_TOTAL) t.notOk(metrics.some((m) => m.name === name), `${name} is left out`);
  t.ok(metrics.some((m) => m.name === 'permgate_nodejs_active_handles'), 'its labelled gauge stays');
  t.ok(metrics.some((m) => m.name === 'permgate_rbac_cache_lookups_total'), 'the RBAC cache counter is named after what it counts');
});

t.test('the store gauge says whether the store can serve commands', async (t) => {
  const { gw } = await gatewayWithUpstream(t, (url) => `store: { path: memory }\nupstreams:\n  svc: { url: "${url}" }\nroutes:\n  - { path: /x, upstream: svc, auth: none }\n`);
  t.match(await gw.gateway.metrics.registry.metrics(), /permgate_store_up\{kind="memory"\} 1/);
});

t.test('the store gauge is 0 while Redis cannot be reached (what the PermgateStoreDown alert watches)', async (t) => {
  const port = await freePort(); // nothing listens there
  const { gw } = await gatewayWithUpstream(t, (url) => `store: { redis: "redis://127.0.0.1:${port}" }\nupstreams:\n  svc: { url: "${url}" }\nroutes:\n  - { path: /x, upstream: svc, auth: none }\n`);
  t.match(await gw.gateway.metrics.registry.metrics(), /permgate_store_up\{kind="redis"\} 0/);
});
