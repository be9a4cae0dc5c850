// RBAC on a shared, real Redis (a private redis-server): a change made through one instance is in force on another
// within 100 ms; a lost announcement is caught by the version check; concurrent admins lose no update; with Redis
// down, cached permissions serve ordinary routes for a bounded time while sensitive routes and unknown subjects get
// 503, and everything recovers by itself.
import { Redis } from 'ioredis';
import t, { type Test } from 'tap';
import { startGateway, type GatewayUnderTest } from '../helpers/gateway-under-test.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/private-redis.js';
import { startRecordingUpstream } from '../helpers/recording-upstream.js';
import { hsAuth, token } from '../helpers/tokens.js';

const ADMIN = 'admin-token-for-rbac-tests-0123456789';

function yaml(redisUrl: string, upstreamUrl: string, rbac = ''): string {
  return `
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0, token: ${ADMIN} }
store:
  redis: "${redisUrl}"
${hsAuth({ revocation: '{ syncInterval: 100ms, onStoreDown: allow-cached }' })}
rbac:
  syncInterval: 100ms
  tokenScopes: true
  roles:
    viewer: { grants: [order:read] }
${rbac}upstreams:
  svc: { url: "${upstreamUrl}" }
routes:
  - { path: /api/orders/**, upstream: svc, permission: { GET: order:read, POST: order:write } }
  - { path: "/api/channels/:id/delete", upstream: svc, methods: [POST], permission: "channel:delete:{id}", sensitive: true }
`;
}

/** A private Redis and `count` gateways on it, all closed when the test ends. */
async function fleet(t: Test, count: number, rbac = ''): Promise<{ redis: PrivateRedis; gateways: GatewayUnderTest[] }> {
  const redis = await startPrivateRedis();
  const upstream = await startRecordingUpstream();
  const gateways: GatewayUnderTest[] = [];
  for (let i = 0; i < count; i++) gateways.push(await startGateway(yaml(redis.url, upstream.url, rbac)));
  t.teardown(async () => {
    for (const gw of gateways) await gw.close();
    await upstream.close();
    await redis.close();
  });
  return { redis, gateways };
}

async function admin(gw: GatewayUnderTest, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, any> }> {
  const res = await fetch(`${gw.adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

const jwts = new Map<string, string>();
async function status(gw: GatewayUnderTest, method: string, path: string, sub: string): Promise<number> {
  if (!jwts.has(sub)) jwts.set(sub, await token({ sub, scope: undefined }));
  return (await fetch(`${gw.url}${path}`, { method, headers: { authorization: `Bearer ${jwts.get(sub)}` } })).status;
}

/** Polls until the request gets `expected`; returns how long that took (Infinity past the deadline). */
async function timeUntil(gw: GatewayUnderTest, sub: string, path: string, expected: number, deadlineMs: number, method = 'GET'): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < deadlineMs) {
    if ((await status(gw, method, path, sub)) === expected) return performance.now() - started;
  }
  return Infinity;
}

t.test('a change made through one instance is in force on another within 100 ms', async (t) => {
  const { gateways: [a, b] } = await fleet(t, 2);
  t.equal(await status(b!, 'GET', '/api/orders/1', 'pia'), 403, 'b compiles and caches pia without the role');
  t.equal((await admin(a!, 'POST', '/admin/rbac/subjects/pia/roles', { role: 'viewer' })).status, 201);
  const granted = await timeUntil(b!, 'pia', '/api/orders/1', 200, 1_000);
  t.ok(granted < 100, `granted on b after ${granted.toFixed(1)} ms`);
  await admin(a!, 'DELETE', '/admin/rbac/subjects/pia/roles/viewer');
  const withdrawn = await timeUntil(b!, 'pia', '/api/orders/1', 403, 1_000);
  t.ok(withdrawn < 100, `withdrawn on b after ${withdrawn.toFixed(1)} ms`);
  // A role change reaches the holders of the role on the other instance too.
  await admin(a!, 'PUT', '/admin/rbac/roles/writer', { grants: ['order:write'] });
  await admin(a!, 'POST', '/admin/rbac/subjects/pia/roles', { role: 'writer' });
  t.equal(await timeUntil(b!, 'pia', '/api/orders/1', 200, 1_000, 'POST') < 100, true, 'writer holds on b');
  await admin(a!, 'PUT', '/admin/rbac/roles/writer', { grants: [] });
  const roleChange = await timeUntil(b!, 'pia', '/api/orders/1', 403, 1_000, 'POST');
  t.ok(roleChange < 100, `role change in force on b after ${roleChange.toFixed(1)} ms`);
});

t.test('a lost announcement is caught by the version check, not served stale forever', async (t) => {
  const { redis, gateways: [a] } = await fleet(t, 1);
  t.equal(await status(a!, 'GET', '/api/orders/1', 'quinn'), 403);
  // Change the subject behind the gateway's back, bumping the version but publishing nothing: as if the message were lost.
  const raw = new Redis(redis.url);
  t.teardown(() => raw.disconnect());
  await raw.hset('{permgate:rbac}:subjects', 'quinn', JSON.stringify({ roles: [{ role: 'viewer' }], grants: [], denies: [] }));
  await raw.incr('{permgate:rbac}:version');
  const caught = await timeUntil(a!, 'quinn', '/api/orders/1', 200, 3_000);
  t.ok(caught < 1_000, `caught after ${caught.toFixed(0)} ms (syncInterval 100 ms: within a few checks)`);
  t.match(await a!.gateway.metrics.registry.metrics(), /permgate_rbac_resyncs_total\{reason="version check"\} [1-9]/);
});

t.test('admins changing one subject at once through three instances lose no update', async (t) => {
  const { redis, gateways } = await fleet(t, 3);
  const [a] = gateways;
  const codes = Array.from({ length: 45 }, (_, i) => `doc:read:${i}`);
  const results = await Promise.all(codes.map((code, i) => admin(gateways[i % 3]!, 'POST', '/admin/rbac/subjects/rita/grants', { code })));
  t.same(results.map((r) => r.status), codes.map(() => 201), 'none gives up with 409');
  const raw = new Redis(redis.url);
  t.teardown(() => raw.disconnect());
  const stored = JSON.parse((await raw.get('permgate:rbac:subject:{rita}'))!) as { grants: { code: string }[] };
  t.same(stored.grants.map((g) => g.code).sort(), [...codes].sort(), 'every one of the 45 concurrent grants is there');
  t.equal((await a!.gateway.audit.recent(100)).filter((e) => e.action === 'rbac.grant.add').length, 45, 'and each was audited once');
  // Roles share one record: concurrent creations of different roles race on it the same way.
  const roles = Array.from({ length: 15 }, (_, i) => `team-${i}`);
  const created = await Promise.all(roles.map((name, i) => admin(gateways[i % 3]!, 'PUT', `/admin/rbac/roles/${name}`, { grants: [`team:${i}:*`] })));
  t.same(created.map((r) => r.status), roles.map(() => 200), 'concurrent role creations: none gives up');
  const listed = (await admin(a!, 'GET', '/admin/rbac/roles')).json.roles as { name: string }[];
  t.same(listed.map((r) => r.name).filter((n) => n.startsWith('team-')).sort(), [...roles].sort(), 'and all 15 roles are kept');
});

t.test('Redis down: cached permissions serve ordinary routes, sensitive routes and unknown subjects get 503; then recovery', async (t) => {
  const { redis, gateways: [a] } = await fleet(t, 1);
  await admin(a!, 'POST', '/admin/rbac/subjects/sam/grants', { code: 'order:read' });
  await admin(a!, 'POST', '/admin/rbac/subjects/sam/grants', { code: 'channel:delete:1' });
  t.equal(await status(a!, 'GET', '/api/orders/1', 'sam'), 200);
  t.equal(await status(a!, 'POST', '/api/channels/1/delete', 'sam'), 200);
  await redis.stop();
  // Once the instance knows it may have missed changes (3 sync intervals), the sensitive route fails closed.
  t.ok((await timeUntil(a!, 'sam', '/api/channels/1/delete', 503, 2_000, 'POST')) < 2_000, 'sensitive: 503');
  t.equal(await status(a!, 'GET', '/api/orders/1', 'sam'), 200, 'ordinary route: the cached compiled permissions (within maxStaleness)');
  const unknown = await fetch(`${a!.url}/api/orders/1`, { headers: { authorization: `Bearer ${await token({ sub: 'tom', scope: undefined })}` } });
  t.equal(unknown.status, 503, 'a subject never seen cannot be decided: 503, not a guess');
  t.match(await unknown.json(), { error: { code: 'PG_STORE_UNAVAILABLE' } });
  t.equal(unknown.headers.get('retry-after'), '1');
  const ready = await fetch(`${a!.adminUrl}/readyz`);
  t.match(await ready.json(), { rbac: { current: false } });
  // The private Redis keeps nothing on disk, so it comes back empty: the instance sees the version go back, drops what
  // it compiled (a store reset), and decides from what the store now holds.
  await redis.start();
  t.ok((await timeUntil(a!, 'sam', '/api/channels/1/delete', 403, 5_000, 'POST')) < 5_000, 'the sensitive route is decided again (no 503)');
  t.equal(await status(a!, 'GET', '/api/orders/1', 'sam'), 403, 'nothing stale is served after the store lost its data');
  t.match(await a!.gateway.metrics.registry.metrics(), /permgate_rbac_resyncs_total\{reason="(reconnected|store reset)"\} [1-9]/);
  await admin(a!, 'POST', '/admin/rbac/subjects/sam/grants', { code: 'channel:delete:1' });
  t.equal(await status(a!, 'POST', '/api/channels/1/delete', 'sam'), 200, 'and admin writes work again');
  t.equal(await status(a!, 'GET', '/api/orders/1', 'tom'), 403, 'unknown subjects are decided again');
});

t.test('with Redis down longer than rbac.maxStaleness, cached permissions stop being used', async (t) => {
  const { redis, gateways: [a] } = await fleet(t, 1, '  maxStaleness: 300ms\n');
  await admin(a!, 'POST', '/admin/rbac/subjects/uma/grants', { code: 'order:read' });
  t.equal(await status(a!, 'GET', '/api/orders/1', 'uma'), 200);
  await redis.stop();
  t.ok((await timeUntil(a!, 'uma', '/api/orders/1', 503, 3_000)) < 3_000, 'past maxStaleness the cached entry is not used: 503');
  await redis.start();
  t.ok((await timeUntil(a!, 'uma', '/api/orders/1', 403, 5_000)) < 5_000, 'decided again once Redis is back (empty: it keeps nothing on disk)');
});

t.test('a burst of requests for a subject nobody has cached costs one Redis read, not one per request', async (t) => {
  const { redis, gateways: [a] } = await fleet(t, 1);
  await admin(a!, 'POST', '/admin/rbac/subjects/vic/grants', { code: 'order:read' });
  const raw = new Redis(redis.url);
  t.teardown(() => raw.disconnect());
  // A subject's record is one key of its own (issue 12): a load is one GET.
  const gets = async (): Promise<number> => Number(/cmdstat_get:calls=(\d+)/.exec(await raw.info('commandstats'))?.[1] ?? 0);
  // The admin write evicted vic on this instance, so the burst below starts from an empty cache entry.
  const jwt = await token({ sub: 'vic', scope: undefined });
  const before = await gets();
  const statuses = await Promise.all(Array.from({ length: 50 }, () => fetch(`${a!.url}/api/orders/1`, { headers: { authorization: `Bearer ${jwt}` } }).then((r) => r.status)));
  t.same(new Set(statuses), new Set([200]));
  t.equal((await gets()) - before, 1, '50 concurrent requests, one GET');
});
