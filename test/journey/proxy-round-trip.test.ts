// A real proxied round-trip: the upstream receives the canonical path and the raw query, the body is streamed,
// and the upstream's answer reaches the client unchanged.
import t from 'tap';
import { gatewayWithUpstream } from '../helpers/gateway-under-test.js';

t.test('a public route forwards the canonical path and the raw query, and returns the upstream answer', async (t) => {
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => `
upstreams:
  orders: { url: "${url}" }
routes:
  - path: /public/**
    upstream: orders
    auth: none
`);
  upstream.handle((_req, res) => res.writeHead(201, { 'x-from': 'upstream', 'content-type': 'text/plain' }).end('made'));
  const res = await fetch(`${gw.url}/public//%61/b?q=%2F&x=1`);
  t.equal(res.status, 201);
  t.equal(await res.text(), 'made');
  t.equal(res.headers.get('x-from'), 'upstream');
  t.ok(res.headers.get('x-request-id'), 'the client gets a request id');
  t.equal(upstream.requests.length, 1);
  t.equal(upstream.requests[0]!.target, '/public/a/b?q=%2F&x=1', 'path canonicalized, query untouched');
});

t.test('a request body is streamed to the upstream byte for byte, with and without Content-Length', async (t) => {
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => `
upstreams:
  orders: { url: "${url}" }
routes:
  - path: /upload
    upstream: orders
    auth: none
`);
  const payload = Buffer.alloc(300_000, 'x');
  const res = await fetch(`${gw.url}/upload`, { method: 'POST', body: payload, headers: { 'content-type': 'application/octet-stream' } });
  t.equal(res.status, 200);
  t.equal(upstream.requests[0]!.body.length, payload.length);

  // A body sent as a stream goes out chunked, and arrives whole.
  const stream = new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('{"a":'));
      controller.enqueue(new TextEncoder().encode('1}'));
      controller.close();
    },
  });
  const chunked = await fetch(`${gw.url}/upload`, { method: 'PUT', body: stream, duplex: 'half', headers: { 'content-type': 'application/json' } } as RequestInit);
  t.equal(chunked.status, 200);
  t.equal(upstream.requests[1]!.body.toString(), '{"a":1}', 'JSON is forwarded as sent, not parsed and re-encoded');
});
