// Issue 12, "bursts are not outages", for permissions: a cold subject's record is read from Redis on the request path.
// A Redis that is behind but still answering is waited for, and every request is decided on its real permissions;
// only a Redis that answers nothing is an outage, found after one commandTimeout rather than after the longest wait.
// Redis is real; a proxy in front of it delays every reply. The connection sends one pipeline at a time, so a load
// queued behind one in flight waits up to twice that, past store.commandTimeout, while replies keep coming: the shape
// of a burst on two cores, where a fixed timeout answered 503.
import t from 'tap';
import { startDelayingProxy } from '../helpers/delaying-proxy.js';
import { startGateway } from '../helpers/gateway-under-test.js';
import { startPrivateRedis } from '../helpers/private-redis.js';
import { startRecordingUpstream } from '../helpers/recording-upstream.js';
import { hsAuth, token } from '../helpers/tokens.js';

const SUBJECTS = 120;
// A reply comes 80 ms after its pipeline was sent, inside the 130 ms deadline with room for a loaded machine; a load
// queued just after a pipeline went out waits for it and then for its own, up to 160 ms. (Sharper settings, 60 ms and
// 100 ms with a request every 5 ms, made the build before this answer 503s, but also made this one fail when the
// parallel suite starved Redis of CPU: a reply then really is later than the deadline.)
const LATE_MS = 80;
const DEADLINE_MS = 130;

t.test('a late Redis is waited for (cold subjects decided on their permissions); a silent one answers 503 after the deadline', async (t) => {
  const redis = await startPrivateRedis();
  const proxy = await startDelayingProxy({ host: '127.0.0.1', port: redis.port });
  const upstream = await startRecordingUpstream();
  t.teardown(async () => {
    await proxy.close();
    await upstream.close();
    await redis.close();
  });
  const subjects = Array.from({ length: SUBJECTS }, (_, i) => `u${i}`);
  const gw = await startGateway(`
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0 }
store:
  redis: "${proxy.url}"
  commandTimeout: ${DEADLINE_MS}ms
${hsAuth()}rbac:
  roles:
    viewer: { grants: [order:read] }
  subjects:
${subjects.map((s, i) => `    ${s}: { roles: [${i % 4 === 3 ? '' : 'viewer'}] }`).join('\n')}
upstreams:
  svc: { url: "${upstream.url}" }
routes:
  - { path: /api/**, upstream: svc, permission: order:read }
`);
  t.teardown(() => gw.close());
  const tokens = await Promise.all(subjects.map((sub) => token({ sub })));
  const get = async (i: number): Promise<number> => {
    const res = await fetch(`${gw.url}/api/x`, { headers: { authorization: `Bearer ${tokens[i]}` } });
    await res.arrayBuffer();
    return res.status;
  };

  // Late: a request every 20 ms, each for a subject never decided before, so each one reads Redis.
  proxy.late(LATE_MS);
  const startedAt = performance.now();
  const late = await Promise.all(
    subjects.slice(0, 60).map(async (_, i) => {
      await new Promise((resolve) => setTimeout(resolve, i * 20));
      const sentAt = performance.now() - startedAt;
      return { i, sentAt, status: await get(i), tookMs: performance.now() - startedAt - sentAt };
    }),
  );
  const wrong = late.filter((r) => r.status !== (r.i % 4 === 3 ? 403 : 200));
  t.same(wrong, [], 'each decided on its own permissions: 200 for viewers, 403 for the rest, no 503');
  const waitedPast = late.filter((r) => r.status !== 503 && r.tookMs > DEADLINE_MS + 5).length;
  t.ok(waitedPast >= 3, `${waitedPast} of ${late.length} requests took longer than the ${DEADLINE_MS} ms deadline, and were answered`);
  t.comment(`late Redis (every reply ${LATE_MS} ms late, deadline ${DEADLINE_MS} ms): ${waitedPast} of ${late.length} waited past the deadline, slowest ${Math.round(Math.max(...late.map((r) => r.tookMs)))} ms, none refused`);

  // Silent: nothing comes back. A fresh subject is refused after about one deadline, not after the longest wait.
  proxy.silent();
  const before = performance.now();
  const status = await get(60);
  const waited = performance.now() - before;
  t.equal(status, 503, 'a silent Redis: 503');
  t.ok(waited < 900, `found silent after ${Math.round(waited)} ms (the longest wait for a late one is 1 s)`);
  proxy.prompt();
});
