// The client side of a connection is bounded (issue 10): slow headers, slow or stalled bodies, idle keep-alive
// connections and the number of connections each end at a documented limit, with the coded JSON reply where one can
// still be given. Short timeouts here; the defaults are in README "Limits and timeouts".
import { connect, type Socket } from 'node:net';
import t from 'tap';
import { gatewayWithUpstream } from '../helpers/gateway-under-test.js';

const CONFIG = (upstream: string): string => `server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0 }
  timeouts: { headers: 300ms, idle: 300ms, request: 1500ms, bodyIdle: 300ms, send: 300ms }
  limits: { connections: 3 }
upstreams:
  svc: { url: "${upstream}" }
routes:
  - { path: /public/**, upstream: svc, auth: none }
  - { path: /stream/**, upstream: svc, auth: none, requestBuffering: false }
`;

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Everything the server writes until it closes the connection, and how long that took. */
function untilClosed(socket: Socket, limitMs = 5_000): Promise<{ text: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`the connection was still open after ${limitMs} ms`)), limitMs);
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, ms: Date.now() - started });
    });
  });
}

/** Writes `text` one byte every `everyMs` until the socket closes. */
function trickle(socket: Socket, text: string, everyMs: number): void {
  let i = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || i >= text.length) return clearInterval(timer);
    socket.write(text[i++]!);
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
}

function jsonBody(text: string): unknown {
  return JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
}

t.test('headers trickled a byte at a time are cut at server.timeouts.headers with 408 PG_REQUEST_TIMEOUT', async (t) => {
  const { gw, upstream } = await gatewayWithUpstream(t, CONFIG);
  const socket = await open(gw.port);
  trickle(socket, 'GET /public/x HTTP/1.1\r\nHost: gw.test\r\nX-Slow: ' + 'a'.repeat(200), 50);
  const { text, ms } = await untilClosed(socket);
  t.match(text, /^HTTP\/1\.1 408 /, text);
  t.match(jsonBody(text), { error: { code: 'PG_REQUEST_TIMEOUT' } });
  t.ok(ms < 2_000, `closed after ${ms} ms, not Node's minute`);
  t.equal(upstream.requests.length, 0);
});

t.test('a keep-alive connection left idle is closed after server.timeouts.idle', async (t) => {
  const { gw } = await gatewayWithUpstream(t, CONFIG);
  const socket = await open(gw.port);
  const closed = untilClosed(socket);
  socket.write('GET /public/x HTTP/1.1\r\nHost: gw.test\r\n\r\n');
  const { text, ms } = await closed;
  t.match(text, /^HTTP\/1\.1 200 /, 'the request was answered on it');
  t.ok(ms < 2_000, `then the idle connection was closed (${ms} ms)`);
});

t.test('beyond server.limits.connections a new connection is closed at once, and accepted again once one ends', async (t) => {
  const { gw } = await gatewayWithUpstream(t, CONFIG.bind(null));
  const held = [await open(gw.port), await open(gw.port), await open(gw.port)];
  t.teardown(() => held.forEach((s) => s.destroy()));
  const extra = await open(gw.port);
  const outcome = untilClosed(extra, 1_000);
  extra.write('GET /public/x HTTP/1.1\r\nHost: gw.test\r\nConnection: close\r\n\r\n');
  t.equal((await outcome).text, '', 'the fourth connection is closed without an answer');
  held.pop()!.destroy();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const again = await open(gw.port);
  const answered = untilClosed(again);
  again.write('GET /public/x HTTP/1.1\r\nHost: gw.test\r\nConnection: close\r\n\r\n');
  t.match((await answered).text, /^HTTP\/1\.1 200 /);
});

for (const route of ['/public/upload', '/stream/upload']) {
  t.test(`a body that stops arriving (${route}) is answered 408 PG_BODY_TIMEOUT after server.timeouts.bodyIdle, and never reaches the upstream whole`, async (t) => {
    const { gw, upstream } = await gatewayWithUpstream(t, CONFIG);
    const socket = await open(gw.port);
    const closed = untilClosed(socket);
    socket.write(`POST ${route} HTTP/1.1\r\nHost: gw.test\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n0123456789`);
    const { text, ms } = await closed;
    t.match(text, /^HTTP\/1\.1 408 /, text);
    t.match(jsonBody(text), { error: { code: 'PG_BODY_TIMEOUT' } });
    t.match(text, /connection: close/i);
    t.ok(ms < 1_400, `answered after ${ms} ms`);
    t.equal(upstream.requests.filter((r) => r.body.length === 100).length, 0);
  });
}

t.test('a body trickled fast enough never to be idle is cut at the request deadline with 408 PG_REQUEST_TIMEOUT', async (t) => {
  const { gw } = await gatewayWithUpstream(t, CONFIG);
  const socket = await open(gw.port);
  const closed = untilClosed(socket);
  socket.write('POST /public/upload HTTP/1.1\r\nHost: gw.test\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n');
  trickle(socket, 'x'.repeat(1000), 100);
  const { text, ms } = await closed;
  t.match(text, /^HTTP\/1\.1 408 /, text);
  t.match(jsonBody(text), { error: { code: 'PG_REQUEST_TIMEOUT' } });
  t.ok(ms >= 1_300 && ms < 3_000, `cut after ${ms} ms (request: 1500ms)`);
});

t.test('the client timeouts and limits are validated: durations and sizes with units, zero refused, unknown keys named', async (t) => {
  const { parseConfig } = await import('../../src/config/load.js');
  const base = 'upstreams:\n  s: { url: "http://127.0.0.1:1" }\nroutes:\n  - { path: /a, upstream: s, auth: none }\n';
  const defaults = parseConfig(base, 'ok.yaml', {}).config.server;
  t.same(defaults.timeouts, { headers: 10_000, idle: 75_000, request: 60_000, bodyIdle: 30_000, send: 60_000 });
  t.match(defaults.limits, { connections: 10_000, bodyBuffer: 1024 * 1024, uploadsPerClient: 4 });
  t.throws(() => parseConfig(`server:\n  timeouts: { headers: 0ms }\n${base}`, 'bad.yaml', {}), /server\.timeouts\.headers: must be longer than 0/);
  t.throws(() => parseConfig(`server:\n  timeouts: { header: 5s }\n${base}`, 'bad.yaml', {}), /server\.timeouts\.header: unknown key \(did you mean "headers"\?\)/);
  t.throws(() => parseConfig(`server:\n  limits: { bodyBuffer: 1 }\n${base}`, 'bad.yaml', {}), /server\.limits\.bodyBuffer: expected a size/);
});

t.test('a client that stops reading a response is cut after server.timeouts.send, and the upstream connection is freed', async (t) => {
  let upstreamClosed: () => void = () => {};
  const freed = new Promise<void>((resolve) => (upstreamClosed = resolve));
  const { gw, upstream } = await gatewayWithUpstream(t, CONFIG);
  upstream.handle((_req, res) => {
    // An endless response: it only stops when the gateway lets go of it.
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const chunk = Buffer.alloc(64 * 1024, 'z');
    const pump = (): void => {
      while (!res.destroyed && res.write(chunk));
    };
    res.on('drain', pump);
    res.on('close', () => upstreamClosed());
    pump();
  });
  const socket = await open(gw.port);
  socket.write('GET /public/big HTTP/1.1\r\nHost: gw.test\r\n\r\n');
  socket.pause(); // never read: the kernel buffers fill, then the gateway's writes back up
  const started = Date.now();
  const outcome = await Promise.race([freed.then(() => 'freed'), new Promise((resolve) => setTimeout(resolve, 5_000, 'held'))]);
  t.equal(outcome, 'freed', `the upstream response was let go (after ${Date.now() - started} ms)`);
  const closed = untilClosed(socket);
  socket.resume();
  await closed;
  t.pass('and the client connection is closed');
});
