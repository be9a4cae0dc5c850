// An upstream that is down, slow or broken gives the client a coded 502/504 JSON reply, never a hang.
import { createServer, type Socket } from 'node:net';
import t from 'tap';
import { gatewayWithUpstream, startGateway } from '../helpers/gateway-under-test.js';
import { freePort } from '../helpers/private-redis.js';
import { startRecordingUpstream } from '../helpers/recording-upstream.js';

const routes = `
routes:
  - path: /public/**
    upstream: svc
    auth: none
`;

t.test('an upstream that refuses connections gives 502 PG_UPSTREAM_UNAVAILABLE', async (t) => {
  const port = await freePort(); // nothing listens there
  const gw = await startGateway(`upstreams:\n  svc: { url: "http://127.0.0.1:${port}" }\n${routes}`);
  t.teardown(() => gw.close());
  const res = await fetch(`${gw.url}/public/x`);
  t.equal(res.status, 502);
  const body = (await res.json()) as { error: { code: string; requestId: string } };
  t.equal(body.error.code, 'PG_UPSTREAM_UNAVAILABLE');
  t.equal(body.error.requestId, res.headers.get('x-request-id'));
  t.notMatch(JSON.stringify(body), /ECONNREFUSED|at .*\.js/, 'no internals leak to the client');
});

t.test('an upstream slower than its timeout gives 504 PG_UPSTREAM_TIMEOUT within about the timeout', async (t) => {
  const upstream = await startRecordingUpstream();
  upstream.handle((_req, res) => setTimeout(() => res.end('late'), 2_000));
  const gw = await startGateway(`upstreams:\n  svc: { url: "${upstream.url}", timeout: 200ms }\n${routes}`);
  t.teardown(async () => {
    await gw.close();
    await upstream.close();
  });
  const started = Date.now();
  const res = await fetch(`${gw.url}/public/slow`);
  const elapsed = Date.now() - started;
  t.equal(res.status, 504);
  t.equal(((await res.json()) as { error: { code: string } }).error.code, 'PG_UPSTREAM_TIMEOUT');
  // undici's timers tick coarsely (about 1 s here), so the bound is "before the upstream's own 2 s answer".
  t.ok(elapsed < 1_900, `answered after ${elapsed} ms, before the upstream would have`);
});

t.test('an upstream that sends garbage instead of HTTP gives 502 PG_UPSTREAM_BAD_RESPONSE', async (t) => {
  const sockets = new Set<Socket>();
  const garbage = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {}); // the gateway may reset the connection it gave up on
    socket.end('this is not http\r\n\r\n');
  });
  await new Promise<void>((resolve) => garbage.listen(0, '127.0.0.1', resolve));
  const { port } = garbage.address() as { port: number };
  const gw = await startGateway(`upstreams:\n  svc: { url: "http://127.0.0.1:${port}" }\n${routes}`);
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => garbage.close(() => resolve()));
    await gw.close();
  });
  const res = await fetch(`${gw.url}/public/x`);
  t.equal(res.status, 502);
  t.equal(((await res.json()) as { error: { code: string } }).error.code, 'PG_UPSTREAM_BAD_RESPONSE');
});

t.test('a 503 from the upstream is passed through once, not retried', async (t) => {
  const upstream = await startRecordingUpstream();
  upstream.handle((_req, res) => res.writeHead(503, { 'retry-after': '1' }).end('busy'));
  const gw = await startGateway(`upstreams:\n  svc: { url: "${upstream.url}" }\n${routes}`);
  t.teardown(async () => {
    await gw.close();
    await upstream.close();
  });
  const res = await fetch(`${gw.url}/public/x`);
  t.equal(res.status, 503);
  t.equal(await res.text(), 'busy');
  t.equal(upstream.requests.length, 1, 'the gateway never replays a request');
});

t.test('a body over the limit is refused with 413 and never reaches the upstream', async (t) => {
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => `
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0 }
  limits: { bodySize: 1kb }
upstreams:
  svc: { url: "${url}" }
routes:
  - path: /public/**
    upstream: svc
    auth: none
  - path: /big/**
    upstream: svc
    auth: none
    bodyLimit: 4kb
`);
  const declared = await fetch(`${gw.url}/public/x`, { method: 'POST', body: 'x'.repeat(2048) });
  t.equal(declared.status, 413, 'a declared Content-Length over the limit');
  t.equal(((await declared.json()) as { error: { code: string } }).error.code, 'PG_BODY_TOO_LARGE');

  const stream = new ReadableStream({
    start(controller) {
      for (let i = 0; i < 4; i++) controller.enqueue(new Uint8Array(512).fill(120));
      controller.close();
    },
  });
  const chunked = await fetch(`${gw.url}/public/x`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
  t.equal(chunked.status, 413, 'a chunked body that grows over the limit');
  t.equal(upstream.requests.filter((r) => r.body.length > 1024).length, 0, 'the upstream never got an oversized body');

  const perRoute = await fetch(`${gw.url}/big/x`, { method: 'POST', body: 'x'.repeat(2048) });
  t.equal(perRoute.status, 200, "a route's bodyLimit overrides the server's");
});
