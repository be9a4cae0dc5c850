// HTTP/1.1 clients that vanish with their requests still queued for a pooled upstream connection, or in flight on one
// (a load generator at the end of its run), must not hold the pool: a queued request whose client left is dropped when
// it reaches a connection, one in flight is cut when its client leaves, so the next client is served now, not after
// the upstream has answered every abandoned request. These are the shapes first suspected behind the fleet bench's
// 10–30 s stalls; the build where those stalls were seen passes both, so they guard the behaviour, not that stall.
import { connect, type Socket } from 'node:net';
import t from 'tap';
import { startDelayingProxy } from '../helpers/delaying-proxy.js';
import { gatewayWithUpstream } from '../helpers/gateway-under-test.js';
import { startPrivateRedis } from '../helpers/private-redis.js';
import { hsAuth, token } from '../helpers/tokens.js';

const POOL = 2;
const CUT = 40;
const SLOW_MS = 400;

t.test('requests of clients that left release the upstream pool at once', async (t) => {
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => `
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0 }
upstreams: { svc: { url: "${url}", connections: ${POOL}, timeout: 30s } }
routes:
  - { path: /public/**, upstream: svc, auth: none }
`);
  let reached = 0;
  upstream.handle((req, res) => {
    if (req.url === '/public/now') return void res.end('now');
    reached++;
    const timer = setTimeout(() => res.end('slow'), SLOW_MS);
    res.on('close', () => clearTimeout(timer));
  });

  // CUT clients each send one request and vanish while the pool (POOL connections, SLOW_MS an answer) holds them.
  const port = Number(new URL(gw.url).port);
  const sockets = await Promise.all(Array.from({ length: CUT }, (_, i) => new Promise<Socket>((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`GET /public/slow/${i} HTTP/1.1\r\nHost: api.test\r\n\r\n`);
      resolve(socket);
    });
    socket.on('error', () => {});
  })));
  await new Promise((resolve) => setTimeout(resolve, 100));
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => setTimeout(resolve, 50));

  const began = performance.now();
  const res = await fetch(`${gw.url}/public/now`);
  await res.text();
  const waited = performance.now() - began;
  t.comment(`${CUT} clients cut with ${POOL} pooled connections (${SLOW_MS} ms an answer): the next request waited ${Math.round(waited)} ms; the upstream saw ${reached} of the cut requests`);
  t.equal(res.status, 200);
  // Had every abandoned request kept its turn, the next one would wait CUT / POOL × SLOW_MS = 8 s.
  // How many abandoned requests reach the upstream depends on when the gateway reads each client's FIN (a loaded
  // machine reads them late and cuts them at the upstream instead): counted in the comment, not asserted.
  t.ok(waited < SLOW_MS * 2, `the next client is served at once, not after the abandoned requests (${Math.round(waited)} ms)`);
});

// Clients that leave while their request is still in the journey (here, waiting for a late Redis to give each new
// subject's permissions): their 'close' has come and gone before the request is forwarded, so it must be seen then;
// otherwise the upstream's answer is written into a dead socket that never drains, and its pooled connection is held
// until the send timeout.
t.test('requests whose clients left during the journey never hold a pooled connection', async (t) => {
  const redis = await startPrivateRedis();
  const proxy = await startDelayingProxy({ host: '127.0.0.1', port: redis.port });
  t.teardown(async () => {
    await proxy.close();
    await redis.close();
  });
  const subjects = Array.from({ length: CUT }, (_, i) => `u${i}`);
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => `
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0 }
  timeouts: { send: 5s }
store:
  redis: "${proxy.url}"
${hsAuth()}rbac:
  roles:
    viewer: { grants: [order:read] }
  subjects:
${subjects.map((s) => `    ${s}: { roles: [viewer] }`).join('\n')}
upstreams: { svc: { url: "${url}", connections: ${POOL}, timeout: 30s } }
routes:
  - { path: /public/**, upstream: svc, auth: none }
  - { path: /api/**, upstream: svc, permission: order:read }
`);
  let reached = 0;
  upstream.handle((req, res) => {
    if (req.url !== '/public/now') reached++;
    res.end(req.url === '/public/now' ? 'now' : Buffer.alloc(256 * 1024));
  });
  const tokens = await Promise.all(subjects.map((sub) => token({ sub })));
  proxy.late(300);
  const port = Number(new URL(gw.url).port);
  const sockets = await Promise.all(tokens.map((jwt, i) => new Promise<Socket>((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`GET /api/orders/${i} HTTP/1.1\r\nHost: api.test\r\nAuthorization: Bearer ${jwt}\r\n\r\n`);
      resolve(socket);
    });
    socket.on('error', () => {});
  })));
  await new Promise((resolve) => setTimeout(resolve, 100));
  for (const socket of sockets) socket.destroy();
  // Redis answers the loads; the requests reach the forwarder with their clients gone.
  await new Promise((resolve) => setTimeout(resolve, 800));
  proxy.prompt();

  const began = performance.now();
  const res = await fetch(`${gw.url}/public/now`);
  await res.text();
  const waited = performance.now() - began;
  t.comment(`${CUT} clients gone during the journey, ${POOL} pooled connections, send timeout 5 s: the next request waited ${Math.round(waited)} ms; the upstream saw ${reached} of the abandoned requests`);
  t.equal(res.status, 200);
  t.ok(waited < 1_500, `the next client is served at once, not after the send timeout (${Math.round(waited)} ms)`);
});
