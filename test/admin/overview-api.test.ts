// The admin API behind the console's overview and route pages: GET /admin/status (version, readiness as /readyz says
// it, breakers, config file), GET /admin/traffic (requests and refusals by code and status since start, from the
// metrics registry), GET /admin/routes (the route table with lint findings and per-route hits and refusals).
import { readFileSync } from 'node:fs';
import t from 'tap';
import { consoleYaml, CONSOLE_ADMIN_TOKEN } from '../helpers/console-gateway.js';
import { gatewayWithUpstream, type GatewayUnderTest } from '../helpers/gateway-under-test.js';
import { token } from '../helpers/tokens.js';

async function get(gw: GatewayUnderTest, path: string, auth = CONSOLE_ADMIN_TOKEN) {
  const res = await fetch(`${gw.adminUrl}${path}`, { headers: { authorization: `Bearer ${auth}` } });
  return { status: res.status, json: (await res.json()) as Record<string, any>, headers: res.headers };
}

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

t.test('GET /admin/status: version, readiness with its code, store, breakers and the config file in force', async (t) => {
  const { gw } = await gatewayWithUpstream(t, (url) => consoleYaml(url));
  const res = await get(gw, '/admin/status');
  t.equal(res.status, 200);
  t.equal(res.headers.get('cache-control'), 'no-store');
  t.match(res.json, { version: VERSION, node: process.version, ready: { code: 200, status: 'ready', store: { ready: true }, breakers: { 'upstream:svc': 'closed' }, config: { file: 'test.yaml', routes: 4 } }, certificates: [], consoleSessions: 0 });
  t.ok(Date.parse(res.json.startedAt) <= Date.now());
});

t.test('GET /admin/traffic counts requests and refusals by code and status since start', async (t) => {
  const { gw } = await gatewayWithUpstream(t, (url) => consoleYaml(url));
  const alice = await token({ sub: 'alice' });
  for (let i = 0; i < 3; i++) await fetch(`${gw.url}/orders/${i}`, { headers: { authorization: `Bearer ${alice}` } });
  for (let i = 0; i < 2; i++) await fetch(`${gw.url}/orders/${i}`, { method: 'DELETE', headers: { authorization: `Bearer ${alice}` } });
  await fetch(`${gw.url}/nowhere`);
  const res = await get(gw, '/admin/traffic');
  t.equal(res.json.requests, 6);
  t.same(res.json.refusals, [{ code: 'PG_FORBIDDEN', status: 403, count: 2 }, { code: 'PG_ROUTE_NOT_FOUND', status: 404, count: 1 }]);
  t.ok(Date.parse(res.json.at) > 0, 'the moment, for rates');
});

t.test('GET /admin/routes: the table with codes per method, flags, lint findings beside their route, and hits', async (t) => {
  const { gw } = await gatewayWithUpstream(t, (url) => consoleYaml(url));
  const alice = await token({ sub: 'alice' });
  await fetch(`${gw.url}/orders/1`, { headers: { authorization: `Bearer ${alice}` } });
  await fetch(`${gw.url}/orders/1`, { method: 'DELETE', headers: { authorization: `Bearer ${alice}` } });
  const res = await get(gw, '/admin/routes');
  t.equal(res.status, 200);
  const [orders, health, reports, beta] = res.json.routes;
  t.match(orders, { pattern: '/orders/:id', public: false, permissions: { GET: 'order:read', DELETE: 'order:delete' }, upstream: { name: 'svc' }, limits: 'defaults', flags: [], hits: 2, refusals: 1, findings: [] });
  t.match(health, { pattern: '/health', public: true, flags: ['public'] });
  t.match(reports, { flags: ['sensitive'], findings: [{ severity: 'warning', rule: 'code-never-granted' }] });
  t.match(beta, { flags: ['shadow:authorize'] });
});

t.test('each needs its admin code: status:read, routes:read', async (t) => {
  const { gw } = await gatewayWithUpstream(t, (url) => consoleYaml(url));
  const alice = await token({ sub: 'alice' });
  for (const path of ['/admin/status', '/admin/traffic', '/admin/routes']) t.match(await get(gw, path, alice), { status: 403, json: { error: { code: 'PG_ADMIN_FORBIDDEN', detail: /missing permission permgate:admin:(status|routes):read/ } } }, path);
  const jane = await token({ sub: 'jane', scope: undefined });
  for (const path of ['/admin/status', '/admin/traffic', '/admin/routes']) t.equal((await get(gw, path, jane)).status, 200, `${path} with permgate:admin:*`);
});
