// Redis stops and comes back: each route does what its onStoreDown says, sensitive routes fail closed, no request
// hangs, readiness tells the truth, and everything recovers by itself.
import t from 'tap';
import { startGateway, type GatewayUnderTest } from '../helpers/gateway-under-test.js';
import { startPrivateRedis } from '../helpers/private-redis.js';
import { startRecordingUpstream } from '../helpers/recording-upstream.js';
import { hsAuth, token } from '../helpers/tokens.js';

const ADMIN = 'admin-token-for-tests-0123456789abcdef';

async function get(gw: GatewayUnderTest, path: string, jwt: string): Promise<{ status: number; ms: number; retryAfter: string | null; code?: string }> {
  const started = performance.now();
  const res = await fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${jwt}` } });
  const body = await res.text();
  const code = res.status === 200 ? undefined : (JSON.parse(body) as { error: { code: string } }).error.code;
  return { status: res.status, ms: performance.now() - started, retryAfter: res.headers.get('retry-after'), code };
}

async function eventually(check: () => Promise<boolean>, deadlineMs: number): Promise<boolean> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

t.test('with Redis down: deny routes answer 503 at once, allow-cached routes use the mirror, sensitive routes deny; then recovery', async (t) => {
  const redis = await startPrivateRedis();
  const upstream = await startRecordingUpstream();
  const gw = await startGateway(`
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0, token: ${ADMIN} }
store:
  redis: "${redis.url}"
${hsAuth({ revocation: '{ onStoreDown: deny, syncInterval: 100ms }' })}rbac: { tokenScopes: true }
upstreams:
  svc: { url: "${upstream.url}" }
routes:
  - { path: /strict/**, upstream: svc, permission: order:read }
  - { path: /lenient/**, upstream: svc, permission: order:read, onStoreDown: allow-cached }
  - { path: /sensitive/**, upstream: svc, permission: order:read, onStoreDown: allow-cached, sensitive: true }
`);
  t.teardown(async () => {
    await gw.close();
    await upstream.close();
    await redis.close();
  });
  const good = await token({ sub: 'alice' });
  const revoked = await token({ sub: 'mallory' });
  await fetch(`${gw.adminUrl}/admin/revocations`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ subject: 'mallory' }) });
  t.equal((await get(gw, '/strict/x', good)).status, 200, 'all well while Redis is up');

  await redis.stop();
  t.ok(await eventually(async () => (await get(gw, '/strict/x', good)).status === 503, 2_000), 'strict route denies once the store is down');
  const strict = await get(gw, '/strict/x', good);
  t.match(strict, { status: 503, code: 'PG_STORE_UNAVAILABLE', retryAfter: '1' });
  t.ok(strict.ms < 500, `answered in ${strict.ms.toFixed(0)} ms, no hang`);
  t.equal((await get(gw, '/lenient/x', good)).status, 200, 'allow-cached serves from the mirror');
  t.match(await get(gw, '/lenient/x', revoked), { status: 401, code: 'PG_TOKEN_REVOKED' }, 'and the mirror still knows who was revoked');
  t.equal((await get(gw, '/sensitive/x', good)).status, 503, 'a sensitive route fails closed whatever onStoreDown says');
  const ready = await fetch(`${gw.adminUrl}/readyz`);
  t.equal(ready.status, 200, 'degraded but serving: still ready, so a fleet does not take itself out of rotation');
  t.match(await ready.json(), { status: 'degraded', store: { kind: 'redis', ready: false }, revocations: { current: false } }, 'readiness reports the outage');

  await redis.start();
  t.ok(await eventually(async () => (await get(gw, '/strict/x', good)).status === 200, 10_000), 'back to normal by itself');
  // Readiness follows once every part is current again (the RBAC feed may reconnect a moment after the revocation
  // feed that let the route through).
  const readyz = async () => (await (await fetch(`${gw.adminUrl}/readyz`)).json()) as { status?: string };
  t.ok(await eventually(async () => (await readyz()).status === 'ready', 5_000), 'ready again by itself');
  t.match(await readyz(), { status: 'ready', revocations: { current: true } });
  const later = await token({ sub: 'trent' });
  t.equal((await get(gw, '/strict/x', later)).status, 200);
  const res = await fetch(`${gw.adminUrl}/admin/revocations`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ subject: 'trent' }) });
  t.equal(res.status, 201, 'revocations can be made again');
  t.equal((await get(gw, '/strict/x', later)).status, 401);
});
