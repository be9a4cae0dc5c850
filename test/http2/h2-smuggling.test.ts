// HTTP/2 requests that RFC 9113 §8 makes malformed, and the h2→HTTP/1.1 downgrade tricks that hit other proxies
// (a content-length that disagrees with the DATA frames, CR/LF smuggled into a value to forge an HTTP/1.1 header, a
// pseudo-header out of place, connection-specific headers): each is refused — a stream reset, or a coded 400 —
// and not one byte reaches the HTTP/1.1 upstream. Well-formed requests beside them go through.
import t from 'tap';
import { gatewayWithUpstream } from '../helpers/gateway-under-test.js';
import { rawH2, type RawH2Request } from '../helpers/raw-h2.js';
import { siteCertificate } from '../helpers/test-certificates.js';

const base = (method = 'GET', path = '/public/x'): [string, string][] => [
  [':method', method],
  [':scheme', 'https'],
  [':authority', 'api.test'],
  [':path', path],
];

const MALFORMED: readonly (readonly [string, RawH2Request])[] = [
  ['connection: keep-alive (connection-specific)', { headers: [...base(), ['connection', 'keep-alive']] }],
  ['keep-alive header', { headers: [...base(), ['keep-alive', 'timeout=5']] }],
  ['proxy-connection header', { headers: [...base(), ['proxy-connection', 'keep-alive']] }],
  ['transfer-encoding: chunked', { headers: [...base('POST'), ['transfer-encoding', 'chunked']], data: ['0\r\n\r\n'] }],
  ['upgrade: websocket', { headers: [...base(), ['upgrade', 'websocket']] }],
  ['te other than trailers', { headers: [...base(), ['te', 'gzip']] }],
  ['upper-case header name', { headers: [...base(), ['X-Smuggle', '1']] }],
  ['a pseudo-header after a regular header', { headers: [[':method', 'GET'], [':scheme', 'https'], ['x-a', '1'], [':authority', 'api.test'], [':path', '/public/x']] }],
  ['an unknown pseudo-header', { headers: [...base(), [':smuggle', '1']] }],
  ['two :path', { headers: [...base(), [':path', '/admin']] }],
  ['no :path', { headers: [[':method', 'GET'], [':scheme', 'https'], [':authority', 'api.test']] }],
  ['an empty :path', { headers: [[':method', 'GET'], [':scheme', 'https'], [':authority', 'api.test'], [':path', '']] }],
  ['a response pseudo-header in a request', { headers: [...base(), [':status', '200']] }],
  ['content-length larger than the DATA', { headers: [...base('POST'), ['content-length', '10']], data: ['abc'] }],
  ['content-length smaller than the DATA (the rest would be a second request)', { headers: [...base('POST'), ['content-length', '3']], data: ['abcGET /admin HTTP/1.1\r\nHost: x\r\n\r\n'] }],
  ['two different content-lengths', { headers: [...base('POST'), ['content-length', '3'], ['content-length', '40']], data: ['abc'] }],
  [':authority and host disagree', { headers: [...base(), ['host', 'internal.test']] }],
  ['two host headers', { headers: [[':method', 'GET'], [':scheme', 'https'], [':path', '/public/x'], ['host', 'api.test'], ['host', 'internal.test']] }],
  ['a path that is not origin-form', { headers: [...base('GET', 'http://internal.test/public/x')] }],
];

/**
 * Fields whose name or value no HTTP/1.1 message could carry: the HTTP/2 layer (nghttp2) drops the field itself, so
 * the request goes on without it and nothing of it can become a header, or a request, on the HTTP/1.1 side.
 */
const DROPPED: readonly (readonly [string, RawH2Request])[] = [
  ['CR/LF in a value forging a header', { headers: [...base(), ['x-a', 'b\r\ntransfer-encoding: chunked']] }],
  ['LF in a value forging a Host', { headers: [...base(), ['x-a', 'b\nhost: evil.test']] }],
  ['NUL in a value', { headers: [...base(), ['x-a', 'b\u0000c']] }],
  ['a space in a header name', { headers: [...base(), ['x a', '1']] }],
  ['a colon inside a header name', { headers: [...base(), ['x:a', '1']] }],
];

t.test('malformed HTTP/2 requests are refused before the upstream', async (t) => {
  const { tls } = siteCertificate(t);
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => `
server:
  listen: { host: 127.0.0.1, port: 0, http2: true, tls: ${tls} }
  admin: { host: 127.0.0.1, port: 0 }
upstreams: { svc: { url: "${url}" } }
routes:
  - { path: /public/**, upstream: svc, auth: none, methods: [GET, POST] }
`);
  const ok = await rawH2(gw.port, { headers: base() });
  t.same(ok, { kind: 'response', status: 200 }, 'a well-formed GET is served');
  const post = await rawH2(gw.port, { headers: [...base('POST'), ['content-length', '3']], data: ['abc'] });
  t.same(post, { kind: 'response', status: 200 }, 'a well-formed POST is served');
  t.equal(upstream.requests.length, 2);
  t.equal(upstream.requests[1]!.body.toString(), 'abc');
  t.equal(upstream.requests[1]!.headers['content-length'], '3');

  for (const [name, request] of MALFORMED) {
    const before = upstream.requests.length;
    const outcome = await rawH2(gw.port, request);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const refused = outcome.kind === 'reset' || outcome.kind === 'goaway' || (outcome.kind === 'response' && outcome.status === 400);
    t.ok(refused, `${name}: refused (${JSON.stringify(outcome)})`);
    t.equal(upstream.requests.length, before, `${name}: nothing reached the upstream`);
  }
  for (const [name, request] of DROPPED) {
    const before = upstream.requests.length;
    const outcome = await rawH2(gw.port, request);
    t.ok(outcome.kind !== 'response' || outcome.status === 200 || outcome.status === 400, `${name}: ${JSON.stringify(outcome)}`);
    // Give a forwarded request time to arrive before looking.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const arrived = upstream.requests.slice(before);
    t.ok(arrived.length <= 1, `${name}: at most the one request arrived`);
    for (const seen of arrived) {
      const names = seen.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
      t.notOk(names.includes('x-a') || names.includes('x a') || names.includes('x:a') || names.includes('transfer-encoding'), `${name}: the field did not reach the upstream`);
      t.equal(seen.headers.host, new URL(upstream.url).host, `${name}: the upstream's own Host`);
    }
  }
  // The gateway is still serving after all of it.
  t.same(await rawH2(gw.port, { headers: base() }), { kind: 'response', status: 200 });
});
