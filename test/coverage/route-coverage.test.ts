// Route coverage from live traffic (issue 14): GET /admin/coverage on a real gateway in front of a real upstream says
// which routes and methods no request reached since a moment, and groups the 404s into path templates.
import t from 'tap';
import { parseConfig } from '../../src/config/load.js';
import type { CoverageReport } from '../../src/coverage/route-coverage.js';
import { gatewayWithUpstream } from '../helpers/gateway-under-test.js';
import { testClock } from '../helpers/test-clock.js';

const ADMIN = 'the-coverage-admin-token-of-this-test-0123456789';
const config = (url: string, extra = ''): string => `server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0, token: ${ADMIN} }
store: { path: memory }
upstreams:
  svc: { url: "${url}" }
routes:
  - { path: /public/**, upstream: svc, auth: none }
  - { path: /shop/items, upstream: svc, auth: none, methods: [GET, POST] }
  - { path: /api/orders/:id, upstream: svc, permission: { GET: order:read, DELETE: order:delete } }
${extra}`;

async function coverage(adminUrl: string, query = ''): Promise<{ status: number; body: CoverageReport & { error?: { code: string } } }> {
  const response = await fetch(`${adminUrl}/admin/coverage${query}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  return { status: response.status, body: (await response.json()) as CoverageReport & { error?: { code: string } } };
}

t.test('routes and methods never hit, hits per route (a refused request counts: it reached the route), 404s as templates', async (t) => {
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => config(url));
  for (const path of ['/public/a', '/public/b/c', '/shop/items', '/api/orders/7', '/users/1/orders', '/users/2/orders', '/users/3f2a1c9e-0b7d-4c1e-9a5f-2d6e8b7c4a10/orders', '/nothing']) {
    await fetch(gw.url + path);
  }
  await fetch(gw.url + '/users/9/orders', { method: 'DELETE' });
  t.equal(upstream.requests.length, 3, 'the two public routes reached the upstream; the order needed a token (401)');
  const { status, body } = await coverage(gw.adminUrl);
  t.equal(status, 200);
  t.same(body.neverHit, [
    { pattern: '/shop/items', method: 'POST' },
    { pattern: '/api/orders/:id', method: 'DELETE' },
  ]);
  const hits = Object.fromEntries(body.routes.map((r) => [`${r.method} ${r.pattern}`, r.hits]));
  t.equal(hits['* /public/**'], 2, 'a route that accepts every method is counted once, as *');
  t.equal(hits['GET /api/orders/:id'], 1, 'a 401 still reached its route');
  t.same(
    body.notFound.templates.map(({ method, template, count }) => ({ method, template, count })),
    [
      { method: 'GET', template: '/users/{id}/orders', count: 3 },
      { method: 'GET', template: '/nothing', count: 1 },
      { method: 'DELETE', template: '/users/{id}/orders', count: 1 },
    ],
  );
  t.equal(body.notFound.dropped, 0);
  t.equal(body.partial, false);
});

t.test('"since" keeps only what happened from that moment; a moment before recording began is said to be partial', async (t) => {
  const clock = testClock({ start: Date.parse('2026-12-01T10:00:00Z') });
  const { gw } = await gatewayWithUpstream(t, (url) => config(url), {}, { now: clock.now });
  await fetch(gw.url + '/shop/items');
  await fetch(gw.url + '/old/1');
  clock.advance(3_600_000);
  await fetch(gw.url + '/public/x');
  await fetch(gw.url + '/new/2');
  const later = await coverage(gw.adminUrl, '?since=2026-12-01T10:30:00Z');
  t.ok(later.body.neverHit.some((r) => r.pattern === '/shop/items' && r.method === 'GET'), 'hit before since: counted as not hit since');
  t.notOk(later.body.neverHit.some((r) => r.pattern === '/public/**'));
  t.same(later.body.notFound.templates.map((x) => x.template), ['/new/{id}']);
  const all = await coverage(gw.adminUrl);
  t.equal(all.body.since, '2026-12-01T10:00:00.000Z', 'the default: since recording began');
  t.same(all.body.notFound.templates.map((x) => x.template).sort(), ['/new/{id}', '/old/{id}']);
  const before = await coverage(gw.adminUrl, `?since=${Date.parse('2026-12-01T09:00:00Z')}`);
  t.equal(before.body.partial, true);
  t.equal(before.body.observedSince, '2026-12-01T10:00:00.000Z');
  const bad = await coverage(gw.adminUrl, '?since=yesterday');
  t.equal(bad.status, 400);
  t.equal(bad.body.error?.code, 'PG_ADMIN_BAD_INPUT');
  const unknown = await coverage(gw.adminUrl, '?from=1');
  t.equal(unknown.status, 400);
});

t.test('hits are kept by route pattern across a reload; a route the reload adds starts never hit', async (t) => {
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => config(url));
  await fetch(gw.url + '/shop/items');
  await gw.gateway.reload({ next: parseConfig(config(upstream.url, '  - { path: /shop/carts, upstream: svc, auth: none }\n'), 'test.yaml', {}) });
  await fetch(gw.url + '/shop/items');
  const { body } = await coverage(gw.adminUrl);
  t.equal(body.routes.find((r) => r.pattern === '/shop/items' && r.method === 'GET')?.hits, 2);
  t.ok(body.neverHit.some((r) => r.pattern === '/shop/carts'));
});

t.test('the endpoint needs the admin code permgate:admin:coverage:read', async (t) => {
  const { gw } = await gatewayWithUpstream(t, (url) => config(url));
  const response = await fetch(`${gw.adminUrl}/admin/coverage`);
  t.equal(response.status, 401);
});
