// The exchange with the upstream, end to end over real sockets: large bodies stream through intact both ways, a
// client that leaves takes its upstream request with it, a response cut short reaches the client as cut short, HEAD
// and Expect: 100-continue work, an impossible status is a 502, and the gateway's own response headers are not the upstream's to replace.
import { createHash } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { startGateway, type GatewayUnderTest } from '../helpers/gateway-under-test.js';
import { rawRequest } from '../helpers/raw-http.js';

/** A plain upstream with a handler of the test's own, closed when the test ends; and a gateway in front of it. */
async function behind(t: Test, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ gw: GatewayUnderTest; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const gw = await startGateway(`upstreams:
  svc: { url: "http://127.0.0.1:${port}", timeout: 5s }
routes:
  - { path: /x/**, upstream: svc, auth: none }
rateLimits: { ip: 100000/min }
`);
  t.teardown(async () => {
    await gw.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { gw, server };
}

/** An upstream that answers every request with `bytes` (latin1) over raw TCP, and a gateway in front of it. */
async function behindRaw(t: Test, bytes: string): Promise<GatewayUnderTest> {
  const sockets = new Set<Socket>();
  const raw = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('data', () => socket.end(bytes, 'latin1'));
  });
  await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
  const { port } = raw.address() as AddressInfo;
  const gw = await startGateway(`upstreams:\n  svc: { url: "http://127.0.0.1:${port}" }\nroutes:\n  - { path: /x/**, upstream: svc, auth: none }\n`);
  t.teardown(async () => {
    await gw.close();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => raw.close(() => resolve()));
  });
  return gw;
}

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

t.test('an 8 MiB response and an 8 MiB request body stream through byte for byte', async (t) => {
  const big = Buffer.alloc(8 * 1024 * 1024);
  for (let i = 0; i < big.length; i += 4) big.writeUInt32LE((i * 2654435761) >>> 0, i);
  let received = '';
  const { gw } = await behind(t, (req, res) => {
    const hash = createHash('sha256');
    req.on('data', (chunk: Buffer) => hash.update(chunk));
    req.on('end', () => {
      received = hash.digest('hex');
      // Written in 64 KiB pieces, so the gateway passes a stream, not one buffer.
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      let offset = 0;
      const pump = (): void => {
        while (offset < big.length) {
          const more = res.write(big.subarray(offset, offset + 65_536));
          offset += 65_536;
          if (!more) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
  });
  const res = await fetch(`${gw.url}/x/big`, { method: 'POST', body: big, headers: { 'content-type': 'application/octet-stream' } });
  t.equal(res.status, 200);
  t.equal(sha(Buffer.from(await res.arrayBuffer())), sha(big), 'the response arrives whole');
  t.equal(received, sha(big), 'the request body arrives whole');
});

t.test('a client that leaves mid-response takes its upstream request with it', async (t) => {
  let upstreamSawClose!: () => void;
  const closed = new Promise<void>((resolve) => (upstreamSawClose = resolve));
  const { gw } = await behind(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    const timer = setInterval(() => res.write('tick\n'), 10);
    res.on('close', () => {
      clearInterval(timer);
      upstreamSawClose();
    });
  });
  const controller = new AbortController();
  const res = await fetch(`${gw.url}/x/endless`, { signal: controller.signal });
  const reader = res.body!.getReader();
  await reader.read();
  controller.abort();
  const started = Date.now();
  await closed;
  t.ok(Date.now() - started < 2_000, 'the upstream connection is closed soon after the client left');
  // The gateway is fine afterwards.
  t.equal((await fetch(`${gw.url}/x/after`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined))?.status, 200);
});

t.test('a client that leaves before the upstream answers: the upstream request is cancelled, the breaker does not count it', async (t) => {
  let upstreamSawClose!: () => void;
  const closed = new Promise<void>((resolve) => (upstreamSawClose = resolve));
  const { gw } = await behind(t, (req, res) => {
    if (req.url === '/x/ok') return void res.end('ok');
    res.on('close', () => upstreamSawClose());
  });
  const controller = new AbortController();
  const pending = fetch(`${gw.url}/x/slow`, { signal: controller.signal }).catch(() => 'aborted');
  await new Promise((resolve) => setTimeout(resolve, 100));
  controller.abort();
  t.equal(await pending, 'aborted');
  await closed;
  t.pass('the upstream saw its request go');
  t.match(await gw.gateway.metrics.registry.metrics(), /permgate_breaker_state\{breaker="upstream:svc"\} 0/);
  t.equal((await fetch(`${gw.url}/x/ok`)).status, 200);
});

t.test('a response the upstream cuts short reaches the client as incomplete, never as complete', async (t) => {
  const { gw } = await behind(t, (req, res) => {
    res.writeHead(200, { 'content-length': '1000' });
    res.write('x'.repeat(100));
    setTimeout(() => req.socket.destroy(), 20);
  });
  const res = await fetch(`${gw.url}/x/cut`);
  t.equal(res.status, 200, 'the head was already on its way');
  await t.rejects(res.text(), 'reading the body fails: the client can tell it is incomplete');
});

t.test('HEAD gets the head without a body', async (t) => {
  const { gw } = await behind(t, (_req, res) => res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '5', 'x-h': '1' }).end('hello'));
  const res = await rawRequest(gw.port, 'HEAD /x/h HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n');
  t.equal(res.status, 200);
  t.equal(res.headers['x-h'], '1');
  t.equal(res.headers['content-length'], '5');
  t.equal(res.body, '');
});

t.test('Expect: 100-continue is answered by the gateway and the body still reaches the upstream', async (t) => {
  let seen: { expect: string | undefined; body: string } | undefined;
  const { gw } = await behind(t, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen = { expect: req.headers.expect, body: Buffer.concat(chunks).toString() };
      res.end('stored');
    });
  });
  const status = await new Promise<number>((resolve, reject) => {
    const req = httpRequest(`${gw.url}/x/upload`, { method: 'PUT', headers: { expect: '100-continue', 'content-type': 'text/plain', 'content-length': '7' } });
    req.on('continue', () => req.end('payload'));
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
  });
  t.equal(status, 200);
  t.same(seen, { expect: undefined, body: 'payload' }, 'the upstream gets the body, not the expectation the gateway already met');
});

t.test('103 Early Hints from the upstream is passed over and its final answer forwarded', async (t) => {
  const { gw } = await behind(t, (_req, res) => {
    res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
    setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end('final'), 20);
  });
  const res = await fetch(`${gw.url}/x/hints`);
  t.equal(res.status, 200);
  t.equal(await res.text(), 'final');
});

t.test('a status above 599 from the upstream is 502 PG_UPSTREAM_BAD_RESPONSE', async (t) => {
  const gw = await behindRaw(t, 'HTTP/1.1 999 Odd\r\ncontent-length: 0\r\n\r\n');
  const res = await fetch(`${gw.url}/x/odd`);
  t.equal(res.status, 502);
  t.match(await res.json(), { error: { code: 'PG_UPSTREAM_BAD_RESPONSE' } });
});

t.test("the gateway's own response headers are not the upstream's to replace", async (t) => {
  const { gw } = await behind(t, (_req, res) =>
    res.writeHead(200, { 'x-request-id': 'from-upstream', 'ratelimit-policy': 'upstream', ratelimit: 'upstream', 'x-kept': 'yes' }).end('ok'),
  );
  const res = await fetch(`${gw.url}/x/h`);
  t.equal(res.status, 200);
  t.not(res.headers.get('x-request-id'), 'from-upstream');
  t.match(res.headers.get('x-request-id'), /^[0-9a-f-]{36}$/);
  t.match(res.headers.get('ratelimit'), /^"ip";r=\d+/, "the gateway's rate-limit state, not the upstream's");
  t.match(res.headers.get('ratelimit-policy'), /^"ip";q=100000/);
  t.equal(res.headers.get('x-kept'), 'yes', 'other upstream headers pass');
});

t.test('a response header with a control character (DEL) in its value is 502 PG_UPSTREAM_BAD_RESPONSE, not a hung request', async (t) => {
  const gw = await behindRaw(t, 'HTTP/1.1 200 OK\r\nx-odd: a\x7fb\r\ncontent-length: 2\r\n\r\nok');
  const res = await fetch(`${gw.url}/x/odd`, { signal: AbortSignal.timeout(3_000) });
  t.equal(res.status, 502);
  t.match(await res.json(), { error: { code: 'PG_UPSTREAM_BAD_RESPONSE' } });
});
