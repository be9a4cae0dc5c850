// Hot reload: a valid file replaces the config in force atomically, under load, with no failed request; an invalid
// one (or one that changes what only a restart can) is refused with the file, line and key, and the old one stays.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { loadConfig } from '../../src/config/load.js';
import { buildGateway, type Gateway } from '../../src/gateway.js';
import { startRecordingUpstream } from '../helpers/recording-upstream.js';
import { hsAuth, token } from '../helpers/tokens.js';

const ADMIN = 'reload-admin-token-0123456789abcdef';

function yaml(upstream: string, extraRoutes = '', rbacGrant = 'order:read'): string {
  return `server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0, token: ${ADMIN} }
${hsAuth()}
rbac:
  subjects:
    alice: { grants: [${rbacGrant}] }
upstreams:
  svc: { url: "${upstream}" }
routes:
  - { path: /api/**, upstream: svc, permission: order:read }
  - { path: /public/**, upstream: svc, auth: none }
${extraRoutes}`;
}

/**
 * A gateway started from `text` written to a config file of its own, so the test can rewrite the file and reload.
 * `after` runs once the gateway is closed (the upstream's own clean-up).
 */
async function gatewayOnFile(t: Test, text: string, after: () => Promise<void>): Promise<{ gw: Gateway; url: string; adminUrl: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'permgate-reload-'));
  const file = join(dir, 'gateway.config.yaml');
  await writeFile(file, text);
  const gw = await buildGateway(await loadConfig(file), { logger: false, processMetrics: false });
  const { url, adminUrl } = await gw.listen();
  t.teardown(async () => {
    await gw.close();
    await after();
    await rm(dir, { recursive: true, force: true });
  });
  return { gw, url, adminUrl, file };
}

async function fixture(t: Test): Promise<{ gw: Gateway; url: string; adminUrl: string; file: string; upstream: string }> {
  const upstream = await startRecordingUpstream();
  return { ...(await gatewayOnFile(t, yaml(upstream.url), () => upstream.close())), upstream: upstream.url };
}

t.test('valid and invalid files reloaded under load: the valid ones swapped in, the others refused, no failed request', async (t) => {
  const { gw, url, file, upstream } = await fixture(t);
  const alice = { authorization: `Bearer ${await token({ sub: 'alice', scope: undefined })}` };
  const statuses: number[] = [];
  let running = true;
  const workers = Array.from({ length: 6 }, async () => {
    while (running) statuses.push((await fetch(`${url}/api/x`, { headers: alice })).status);
  });
  t.equal((await fetch(`${url}/new/x`)).status, 404, 'not mapped yet');
  await new Promise((resolve) => setTimeout(resolve, 100));
  for (let i = 0; i < 5; i++) {
    await writeFile(file, yaml(upstream, `  - { path: /new/**, upstream: svc, auth: none }\n  - { path: /v${i}/**, upstream: svc, auth: none }\n`));
    t.match(await gw.reload(), { routes: 4 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await writeFile(file, yaml(upstream, `  - { path: /new/**, upstream: svc, auth: nobody }\n`));
    await t.rejects(gw.reload(), { name: 'ConfigError' });
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  running = false;
  await Promise.all(workers);
  t.ok(statuses.length > 50, `${statuses.length} requests during 5 applied and 5 refused reloads`);
  t.same(statuses.filter((s) => s !== 200), [], 'every one answered 200');
  t.equal((await fetch(`${url}/new/x`)).status, 200, 'the new route is served');
  t.match(await gw.metrics.registry.metrics(), /permgate_config_reloads_total\{outcome="applied"\} 5/);
  t.match(await gw.metrics.registry.metrics(), /permgate_config_reloads_total\{outcome="rejected"\} 5/);
});

t.test('an invalid file is refused naming file, line and key; the old config stays', async (t) => {
  const { gw, url, adminUrl, file, upstream } = await fixture(t);
  await writeFile(file, yaml(upstream, `  - { path: /broken/**, upstream: nowhere, auth: none }\n`));
  await t.rejects(gw.reload(), { name: 'ConfigError', message: /gateway\.config\.yaml:\d+:\d+: routes\[2\]\.upstream: names no upstream: "nowhere"/ });
  t.equal((await fetch(`${url}/public/x`)).status, 200, 'still serving the old config');
  t.equal((await fetch(`${url}/broken/x`)).status, 404);
  const res = await fetch(`${adminUrl}/admin/reload`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
  t.equal(res.status, 400);
  t.match(await res.json(), { error: { code: 'PG_CONFIG_INVALID', detail: /routes\[2\]\.upstream/ } });
  // A change only a restart can apply is refused the same way.
  await writeFile(file, yaml(upstream).replace('listen: { host: 127.0.0.1, port: 0 }', 'listen: { host: 127.0.0.1, port: 1 }'));
  await t.rejects(gw.reload(), { message: /server\.listen\.port: changed from 0 to 1, which only a restart can apply/ });
  // And a good file through the admin API: applied, audited.
  await writeFile(file, yaml(upstream, '', 'order:*'));
  const ok = await fetch(`${adminUrl}/admin/reload`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
  t.match(await ok.json(), { reloaded: { routes: 2 } });
  t.match((await gw.audit.recent(3)).map((e) => e.action), ['config.reload', 'config.reload.rejected', 'config.reload.rejected']);
  t.match(await gw.metrics.registry.metrics(), /permgate_config_reloads_total\{outcome="rejected"\} 3/);
});

t.test('a breaker whose route a reload removed leaves the metrics', async (t) => {
  const { gw, file, upstream } = await fixture(t);
  await writeFile(file, yaml(upstream, '  - { path: /own/**, upstream: svc, auth: none, breaker: { minRequests: 5 } }\n'));
  await gw.reload();
  t.match(await gw.metrics.registry.metrics(), /permgate_breaker_state\{breaker="route:\/own\/\*\*"\} 0/);
  await writeFile(file, yaml(upstream));
  await gw.reload();
  const metrics = await gw.metrics.registry.metrics();
  t.notMatch(metrics, /route:\/own/);
  t.match(metrics, /permgate_breaker_state\{breaker="upstream:svc"\} 0/, 'the upstream breaker stays');
});

t.test('a reload replaces the static RBAC policy: a grant removed from the file stops counting', async (t) => {
  const { gw, url, file, upstream } = await fixture(t);
  const alice = { authorization: `Bearer ${await token({ sub: 'alice', scope: undefined })}` };
  t.equal((await fetch(`${url}/api/x`, { headers: alice })).status, 200);
  await writeFile(file, yaml(upstream, '', 'order:write'));
  await gw.reload();
  t.equal((await fetch(`${url}/api/x`, { headers: alice })).status, 403);
});

t.test('an open breaker and its last-good responses survive a reload that leaves them unchanged; a changed breaker starts closed', async (t) => {
  const upstream = await startRecordingUpstream();
  const config = (breaker: string, extra = ''): string => `server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0, token: ${ADMIN} }
upstreams:
  svc: { url: "${upstream.url}", breaker: ${breaker} }
routes:
  - { path: /sensitive/**, upstream: svc, auth: none, sensitive: true }
  - { path: /cached/**, upstream: svc, auth: none, fallback: { lastGood: { maxAge: 1m } } }
${extra}`;
  const { gw, url, adminUrl, file } = await gatewayOnFile(t, config('{ minRequests: 4, openFor: 30s }'), () => upstream.close());

  upstream.handle((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('good'));
  t.equal(await (await fetch(`${url}/cached/report`)).text(), 'good');
  upstream.handle((_req, res) => res.writeHead(500).end());
  for (let i = 0; i < 4; i++) await fetch(`${url}/sensitive/x`);
  t.match(await (await fetch(`${url}/sensitive/x`)).json(), { error: { code: 'PG_UPSTREAM_CIRCUIT_OPEN' } }, 'four 500s open the breaker');
  const reached = upstream.requests.length;

  // A reload that changes something else (one more route): the breaker is the same breaker, still open.
  await writeFile(file, config('{ minRequests: 4, openFor: 30s }', '  - { path: /new/**, upstream: svc, auth: none }\n'));
  t.match(await gw.reload(), { routes: 3 });
  const sensitive = await fetch(`${url}/sensitive/x`);
  t.equal(sensitive.status, 503, 'still open after the reload');
  t.match(await sensitive.json(), { error: { code: 'PG_UPSTREAM_CIRCUIT_OPEN' } });
  const cached = await fetch(`${url}/cached/report`);
  t.equal(cached.headers.get('x-permgate-fallback'), 'last-good', 'the last good response is still served');
  t.equal(await cached.text(), 'good');
  t.equal(upstream.requests.length, reached, 'nothing reached the failing upstream because of the reload');
  t.match(await (await fetch(`${adminUrl}/readyz`)).json(), { breakers: { 'upstream:svc': 'open' } });
  t.match(await gw.metrics.registry.metrics(), /permgate_breaker_state\{breaker="upstream:svc"\} 2/);

  // A reload that changes the breaker itself: a new breaker, closed, so requests reach the upstream again.
  await writeFile(file, config('{ minRequests: 6, openFor: 30s }'));
  await gw.reload();
  t.equal((await fetch(`${url}/sensitive/x`)).status, 500, 'a changed breaker starts closed and forwards');
  t.equal(upstream.requests.length, reached + 1);
  t.match(await (await fetch(`${adminUrl}/readyz`)).json(), { breakers: { 'upstream:svc': 'closed' } });
  t.match(await gw.metrics.registry.metrics(), /permgate_breaker_state\{breaker="upstream:svc"\} 0/);
});

t.test("a reload keeps an unchanged upstream's open connections and gives a resized one its new size at once", async (t) => {
  // An upstream that records which client port each request came from and how many were open at once.
  const ports: number[] = [];
  let open = 0;
  let mostOpen = 0;
  const server = createServer((req, res) => {
    ports.push(req.socket.remotePort!);
    open++;
    mostOpen = Math.max(mostOpen, open);
    setTimeout(() => {
      open--;
      res.end('ok');
    }, req.url!.includes('slow') ? 150 : 0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const upstream = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = (connections: number, extra = ''): string => `server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0 }
upstreams:
  svc: { url: "${upstream}", connections: ${connections} }
routes:
  - { path: /x/**, upstream: svc, auth: none }
${extra}`;
  const { gw, url, file } = await gatewayOnFile(t, config(1), async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const burst = async (): Promise<number[]> => Promise.all(Array.from({ length: 4 }, async () => (await fetch(`${url}/x/slow`)).status));

  t.same(await burst(), [200, 200, 200, 200]);
  t.equal(mostOpen, 1, 'connections: 1 — one request at a time reaches the upstream');
  const warm = ports.at(-1);

  await writeFile(file, config(1, '  - { path: /y/**, upstream: svc, auth: none }\n'));
  await gw.reload();
  await fetch(`${url}/x/again`);
  t.equal(ports.at(-1), warm, 'a reload that leaves the upstream alone reuses its open connection');

  await writeFile(file, config(4));
  await gw.reload();
  mostOpen = 0;
  t.same(await burst(), [200, 200, 200, 200]);
  t.ok(mostOpen > 1, `connections: 4 after the reload — ${mostOpen} requests at once, no restart needed`);

  // A request in flight on a pool that a reload replaces finishes on it: the old pool closes only after it.
  const inFlight = fetch(`${url}/x/slow`).then((r) => r.status);
  await new Promise((resolve) => setTimeout(resolve, 30));
  await writeFile(file, config(2));
  await gw.reload();
  t.equal(await inFlight, 200, 'the request that was in flight completes');
  t.equal((await fetch(`${url}/x/after`)).status, 200, 'and the new pool serves');
});
