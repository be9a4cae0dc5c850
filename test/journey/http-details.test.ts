// HTTP details at the edge (issue 10 §2): an ambiguous Host is refused, `100 Continue` is only sent to a request the
// gateway will take, headers the upstream's Connection names stay on its hop, and a 204/304 that carries
// Content-Length reaches the client and is recorded.
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import t, { type Test } from 'tap';
import { gatewayWithUpstream, startGateway } from '../helpers/gateway-under-test.js';
import { rawRequest } from '../helpers/raw-http.js';

const PUBLIC_AND_PRIVATE = (upstream: string): string => `
upstreams:
  svc: { url: "${upstream}" }
routes:
  - { path: /public/**, upstream: svc, auth: none }
  - { path: /private/**, upstream: svc, permission: "doc:read" }
`;

/** An upstream that answers every request with the same raw bytes (keep-alive), for responses Node would not write. */
async function rawUpstream(t: Test, response: string): Promise<string> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      if (chunk.includes('\r\n\r\n')) socket.write(response);
    });
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    sockets.forEach((s) => s.destroy());
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

t.test('a request with two Host headers, or an HTTP/1.1 request with none, is refused with a coded 400 and never forwarded', async (t) => {
  const { gw, upstream } = await gatewayWithUpstream(t, PUBLIC_AND_PRIVATE);
  const res = await rawRequest(gw.port, 'GET /public/x HTTP/1.1\r\nHost: a.test\r\nhost: b.test\r\nConnection: close\r\n\r\n');
  t.equal(res.status, 400);
  t.match(JSON.parse(res.body), { error: { code: 'PG_BAD_REQUEST', detail: 'more than one Host header' } });
  t.equal(upstream.requests.length, 0);
  t.equal((await rawRequest(gw.port, 'GET /public/x HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n')).status, 200, 'one Host is fine');
  const none = await rawRequest(gw.port, 'GET /public/x HTTP/1.1\r\nConnection: close\r\n\r\n');
  t.equal(none.status, 400, 'none in HTTP/1.1 is refused too');
  t.match(JSON.parse(none.body), { error: { code: 'PG_BAD_REQUEST', detail: 'no Host header' } }, 'in the coded shape');
  t.equal((await rawRequest(gw.port, 'GET /public/x HTTP/1.0\r\n\r\n')).status, 200, 'HTTP/1.0 needs none');
  t.equal(upstream.requests.length, 2);
});

/** Sends a head with `Expect: 100-continue` and returns the first response line the gateway writes. */
function firstLine(port: number, head: string): Promise<{ line: string; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(head));
    socket.once('data', (chunk: Buffer) => resolve({ line: chunk.toString('latin1').split('\r\n')[0]!, socket }));
    socket.on('error', reject);
  });
}

t.test('Expect: 100-continue gets the refusal without 100 Continue when the gateway refuses, and 100 Continue once the journey passed', async (t) => {
  const { gw, upstream } = await gatewayWithUpstream(t, PUBLIC_AND_PRIVATE);
  const refused = await firstLine(gw.port, 'POST /private/doc HTTP/1.1\r\nHost: gw.test\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
  refused.socket.destroy();
  t.match(refused.line, /^HTTP\/1\.1 401 /, 'the first thing the client hears is the refusal');
  const allowed = await firstLine(gw.port, 'POST /public/doc HTTP/1.1\r\nHost: gw.test\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n');
  t.equal(allowed.line, 'HTTP/1.1 100 Continue');
  const rest = new Promise<string>((resolve) => {
    let text = '';
    allowed.socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    allowed.socket.on('close', () => resolve(text));
  });
  allowed.socket.write('hello');
  t.match(await rest, /HTTP\/1\.1 200 /);
  t.equal(upstream.requests.at(-1)!.body.toString(), 'hello', 'the body sent after 100 Continue is forwarded');
  t.equal(upstream.requests.at(-1)!.headers.expect, undefined, 'Expect itself is not');
});

t.test('response headers named in the upstream Connection header never reach the client', async (t) => {
  const upstream = await rawUpstream(t, 'HTTP/1.1 200 OK\r\nConnection: X-Internal-Route, keep-alive\r\nX-Internal-Route: pod-7\r\nX-Kept: yes\r\nContent-Length: 2\r\n\r\nok');
  const gw = await startGateway(PUBLIC_AND_PRIVATE(upstream));
  t.teardown(() => gw.close());
  const res = await fetch(`${gw.url}/public/x`);
  t.equal(res.status, 200);
  t.equal(await res.text(), 'ok');
  t.equal(res.headers.get('x-internal-route'), null, 'the header the upstream marked hop-by-hop stays on its hop');
  t.equal(res.headers.get('x-kept'), 'yes');
});

for (const [method, status, extra] of [
  ['GET', 304, 'ETag: "v1"\r\n'],
  ['DELETE', 204, ''],
] as const) {
  t.test(`an upstream ${status} with Content-Length reaches the client with its status and is recorded (${method})`, async (t) => {
    const upstream = await rawUpstream(t, `HTTP/1.1 ${status} ${status === 204 ? 'No Content' : 'Not Modified'}\r\n${extra}Content-Length: 17\r\n\r\n`);
    const gw = await startGateway(PUBLIC_AND_PRIVATE(upstream));
    t.teardown(() => gw.close());
    const res = await fetch(`${gw.url}/public/item/1`, { method });
    t.equal(res.status, status);
    t.equal(await res.text(), '');
    if (status === 304) t.equal(res.headers.get('etag'), '"v1"');
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    t.match(metrics, new RegExp(`permgate_requests_total\\{route="/public/\\*\\*",method="${method}",status="${status}",code=""\\} 1`), 'the request is counted with its status');
    // The connection undici gave up stays usable for the next request.
    t.equal((await fetch(`${gw.url}/public/item/2`, { method })).status, status);
  });
}
