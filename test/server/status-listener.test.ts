// The status listener (server.status, issue 12): probes and metrics with no token, the admin listener's answers,
// nothing else; off unless configured; its address is one only a restart changes.
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { parseConfig } from '../../src/config/load.js';
import { restartOnlyChanges } from '../../src/config/reload-check.js';
import { gatewayWithUpstream, type GatewayUnderTest } from '../helpers/gateway-under-test.js';

const ADMIN = 'admin-token-for-tests-0123456789abcdef';

const config = (upstream: string, status = '  status: { host: 127.0.0.1, port: 0 }\n'): string => `server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0, token: ${ADMIN} }
${status}upstreams:
  svc: { url: "${upstream}" }
routes:
  - { path: /public/**, upstream: svc, auth: none }
`;

/** startGateway opens the status listener on port 0; this is where it went. */
const statusUrlOf = (gw: GatewayUnderTest): string => `http://127.0.0.1:${(gw.gateway.status!.server.address() as AddressInfo).port}`;

t.test('healthz, readyz and metrics answer on the status port without a token, as on the admin port', async (t) => {
  const { gw } = await gatewayWithUpstream(t, (url) => config(url));
  const statusUrl = statusUrlOf(gw);
  t.same(await (await fetch(`${statusUrl}/healthz`)).json(), { status: 'ok' });
  const [status, admin] = await Promise.all([fetch(`${statusUrl}/readyz`), fetch(`${gw.adminUrl}/readyz`)]);
  t.equal(status.status, 200);
  t.equal(status.headers.get('cache-control'), 'no-store');
  t.same(await status.json(), await admin.json(), 'the same body as the admin listener\'s');
  await fetch(`${gw.url}/public/x`);
  const metrics = await (await fetch(`${statusUrl}/metrics`)).text();
  t.match(metrics, /permgate_requests_total\{route="\/public\/\*\*",method="GET",status="200",code=""\} 1/);
});

t.test('everything else on the status port is 404 in the coded shape, the admin API included, token or not', async (t) => {
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => config(url));
  const statusUrl = statusUrlOf(gw);
  const auth = { authorization: `Bearer ${ADMIN}` };
  const tries: [string, string, RequestInit][] = [
    ['GET', '/admin/audit', { headers: auth }],
    ['POST', '/admin/reload', { headers: auth }],
    ['POST', '/readyz', {}],
    ['DELETE', '/healthz', {}],
    ['GET', '/public/x', {}],
    ['GET', '/', {}],
  ];
  for (const [method, path, init] of tries) {
    const res = await fetch(statusUrl + path, { ...init, method });
    t.equal(res.status, 404, `${method} ${path}`);
    t.match(await res.json(), { error: { code: 'PG_ROUTE_NOT_FOUND' } });
  }
  t.equal(upstream.requests.length, 0, 'nothing reached the upstream');
  t.equal((await fetch(`${gw.adminUrl}/admin/audit`, { headers: auth })).status, 200, 'the admin API itself is where it was');
});

t.test('without server.status there is no status listener', async (t) => {
  const { gw } = await gatewayWithUpstream(t, (url) => config(url, ''));
  t.equal(gw.gateway.status, undefined);
  t.equal(gw.gateway.config.config.server.status, undefined);
  t.equal(gw.gateway.config.config.server.drainDelay, 5_000, 'drainDelay defaults to 5s');
});

t.test('server.status defaults to 127.0.0.1:9902, and a reload cannot move it', async (t) => {
  const base = 'upstreams:\n  svc: { url: "http://127.0.0.1:1" }\nroutes:\n  - { path: /x, upstream: svc, auth: none }\n';
  const on = parseConfig(`server:\n  status: {}\n${base}`, 'a.yaml');
  t.same(on.config.server.status, { host: '127.0.0.1', port: 9902 });
  const moved = parseConfig(`server:\n  status: { host: 0.0.0.0 }\n${base}`, 'b.yaml');
  t.match(restartOnlyChanges(on.config, moved).map((issue) => issue.keyPath), ['server.status']);
  const off = parseConfig(base, 'c.yaml');
  t.match(restartOnlyChanges(on.config, off).map((issue) => issue.keyPath), ['server.status']);
  t.same(restartOnlyChanges(on.config, parseConfig(`server:\n  status: {}\n  drainDelay: 1s\n${base}`, 'd.yaml')), [], 'drainDelay is read at SIGTERM: a reload changes it');
});
