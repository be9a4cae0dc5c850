// The admin API on a shared store that does not answer: every change and read is a coded 503 with Retry-After (the
// caller may retry), never a 500; and once the store is back, the same change goes through.
import t from 'tap';
import { startGateway } from '../helpers/gateway-under-test.js';
import { startPrivateRedis } from '../helpers/private-redis.js';
import { startRecordingUpstream } from '../helpers/recording-upstream.js';
import { testClock } from '../helpers/test-clock.js';
import { hsAuth } from '../helpers/tokens.js';

const ADMIN = 'admin-token-for-store-down-tests-0123456789';

t.test('with Redis stopped, admin writes and reads answer 503 PG_STORE_UNAVAILABLE; after it returns they succeed', async (t) => {
  const redis = await startPrivateRedis();
  const upstream = await startRecordingUpstream();
  const clock = testClock({ ticking: true });
  const gw = await startGateway(`
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0, token: ${ADMIN} }
store:
  redis: "${redis.url}"
${hsAuth({ revocation: '{ syncInterval: 100ms, onStoreDown: allow-cached }' })}
rbac:
  syncInterval: 100ms
upstreams:
  svc: { url: "${upstream.url}" }
routes:
  - { path: /api/orders/**, upstream: svc, permission: { GET: order:read } }
`, {}, { now: clock.now });
  t.teardown(async () => {
    await gw.close();
    await upstream.close();
    await redis.close();
  });
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${gw.adminUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), json: (await res.json()) as { error?: { code: string } } };
  };

  /**
   * A change gives up after 5 s by the gateway's clock (policy-editor.ts): moving the clock a second every 10 ms
   * while the answer is pending gets there in a few dozen milliseconds instead of 5 s per change.
   */
  const whileTimePasses = async <T>(pending: Promise<T>): Promise<T> => {
    const timer = setInterval(() => clock.advance(1_000), 10);
    try {
      return await pending;
    } finally {
      clearInterval(timer);
    }
  };

  await redis.stop();
  const attempts = [
    ['PUT', '/admin/rbac/roles/auditors', { grants: ['audit:read'] }],
    ['POST', '/admin/rbac/subjects/carol/grants', { code: 'order:read' }],
    ['POST', '/admin/revocations', { subject: 'mallory' }],
    ['GET', '/admin/revocations', undefined],
    ['GET', '/admin/rbac/subjects', undefined],
    ['GET', '/admin/audit', undefined],
  ] as const;
  for (const [method, path, body] of attempts) {
    const answer = await whileTimePasses(call(method, path, body));
    t.equal(answer.status, 503, `${method} ${path}: 503`);
    t.equal(answer.json.error?.code, 'PG_STORE_UNAVAILABLE', `${method} ${path}: coded`);
    t.equal(answer.retryAfter, '1', `${method} ${path}: Retry-After`);
  }

  await redis.start();
  const deadline = Date.now() + 10_000;
  let created = await call('PUT', '/admin/rbac/roles/auditors', { grants: ['audit:read'] });
  while (created.status === 503 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    created = await call('PUT', '/admin/rbac/roles/auditors', { grants: ['audit:read'] });
  }
  t.equal(created.status, 200, 'the role is created once Redis is back');
  t.equal((await call('POST', '/admin/rbac/subjects/carol/grants', { code: 'order:read' })).status, 201, 'and a grant');
});
