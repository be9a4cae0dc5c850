// /readyz says whether this instance can serve its protected routes (issue 12): 503 `unready` when every one of
// them would be refused for store reasons (Redis unreachable at start), 200 `degraded` while some are still served.
import t from 'tap';
import { readiness, readinessCode, type ReadinessFacts, type RouteFacts } from '../../src/admin/readiness.js';
import { startGateway } from '../helpers/gateway-under-test.js';
import { startPrivateRedis } from '../helpers/private-redis.js';
import { startRecordingUpstream } from '../helpers/recording-upstream.js';
import { hsAuth, token } from '../helpers/tokens.js';

const route = (pattern: string, more: Partial<RouteFacts> = {}): RouteFacts => ({ pattern, public: false, sensitive: false, onStoreDown: undefined, ...more });
const healthy: ReadinessFacts = {
  draining: false,
  storeReady: true,
  routes: [route('/public/**', { public: true }), route('/api/**'), route('/lenient/**', { onStoreDown: 'allow-cached' }), route('/admin/**', { sensitive: true, onStoreDown: 'allow-cached' })],
  revocations: { current: true, onStoreDown: 'deny' },
  rbac: { current: true, unreachableFor: 0, maxStaleness: 30_000 },
};
const outage = (unreachableFor: number): ReadinessFacts => ({
  ...healthy,
  storeReady: false,
  revocations: { current: false, onStoreDown: 'deny' },
  rbac: { current: false, unreachableFor, maxStaleness: 30_000 },
});

t.test('the rule, case by case', async (t) => {
  t.same(readiness(healthy), { status: 'ready', refused: [] });
  t.same(readiness({ ...healthy, draining: true }).status, 'draining', 'draining wins over everything');
  t.same(readiness({ ...healthy, storeReady: false }), { status: 'degraded', refused: [] }, 'store down, everything still current: degraded');
  t.same(readiness(outage(1_000)), {
    status: 'degraded',
    refused: [{ route: '/api/**', reason: 'revocations' }, { route: '/admin/**', reason: 'revocations' }],
  }, 'a short outage: deny and sensitive routes refused, the allow-cached route served from the mirror');
  t.same(readiness(outage(31_000)), {
    status: 'unready',
    refused: [{ route: '/api/**', reason: 'revocations' }, { route: '/lenient/**', reason: 'rbac-stale' }, { route: '/admin/**', reason: 'revocations' }],
  }, 'past rbac.maxStaleness no compiled permission is used: every protected route is refused');
  t.equal(readiness(outage(Infinity)).status, 'unready', 'the store never reached since start: unready');
  const allowCached = { ...outage(Infinity), revocations: { current: false, onStoreDown: 'allow-cached' as const } };
  t.equal(readiness(allowCached).status, 'unready', 'allow-cached does not help when no permission can be loaded');
  t.same(readiness({ ...healthy, rbac: { current: false, unreachableFor: 500, maxStaleness: 30_000 } }).refused, [{ route: '/admin/**', reason: 'rbac' }], 'RBAC not current: sensitive routes fail closed');
  t.same(readiness({ ...outage(Infinity), routes: [route('/public/**', { public: true })] }).status, 'degraded', 'no protected route: nothing to be unready for');
  t.equal(readiness({ ...outage(Infinity), revocations: undefined, routes: [route('/api/**')] }).status, 'unready', 'without auth.revocation, RBAC alone decides');
  t.equal(readinessCode('ready'), 200);
  t.equal(readinessCode('degraded'), 200);
  t.equal(readinessCode('unready'), 503);
  t.equal(readinessCode('draining'), 503);
});

t.test('Redis unreachable at start: /readyz 503 unready while protected routes answer 503; ready once Redis is there', async (t) => {
  const redis = await startPrivateRedis();
  await redis.stop();
  const upstream = await startRecordingUpstream();
  const gw = await startGateway(`
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0 }
store:
  redis: "${redis.url}"
${hsAuth({ revocation: '{ onStoreDown: allow-cached, syncInterval: 100ms }' })}rbac: { syncInterval: 100ms, subjects: { alice: { grants: ["order:*"] } } }
upstreams:
  svc: { url: "${upstream.url}" }
routes:
  - { path: /public/**, upstream: svc, auth: none }
  - { path: /api/**, upstream: svc, permission: order:read }
`);
  t.teardown(async () => {
    await gw.close();
    await upstream.close();
    await redis.close();
  });
  const alice = { authorization: `Bearer ${await token({ sub: 'alice' })}` };
  t.equal((await fetch(`${gw.url}/api/x`, { headers: alice })).status, 503, 'the protected route is refused');
  t.equal((await fetch(`${gw.url}/public/x`)).status, 200, 'the public route is served');
  const ready = await fetch(`${gw.adminUrl}/readyz`);
  t.equal(ready.status, 503, 'so the instance is not ready');
  t.match(await ready.json(), { status: 'unready', store: { ready: false }, rbac: { current: false }, refused: [{ route: '/api/**', reason: 'rbac-stale' }] });

  await redis.start();
  const deadline = Date.now() + 10_000;
  let status = 0;
  while (Date.now() < deadline && (status = (await fetch(`${gw.adminUrl}/readyz`)).status) !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
  t.equal(status, 200, 'ready once Redis is reachable');
  t.match(await (await fetch(`${gw.adminUrl}/readyz`)).json(), { status: 'ready' });
  t.equal((await fetch(`${gw.url}/api/x`, { headers: alice })).status, 200, 'and the protected route is served');
});
