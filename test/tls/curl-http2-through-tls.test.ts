// HTTP/2 and HTTPS/1.1 to clients on one TLS listener, HTTP/1.1 to the upstream: every check runs as for plain
// HTTP/1.1 (401 without a token, 403 without the permission, 404 off the route table), the upstream hears HTTP/1.1
// with the gateway's headers (X-Forwarded-Proto https, no pseudo-header) and the plain listener beside it still serves.
import t from 'tap';
import { execFile } from 'node:child_process';
import { connect, constants } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { gatewayWithUpstream } from '../helpers/gateway-under-test.js';
import { makeAuthority } from '../helpers/test-certificates.js';
import { hsAuth, token } from '../helpers/tokens.js';

const run = promisify(execFile);

t.test('curl --http2, a Node h2 client and an HTTPS/1.1 client through the same TLS listener', async (t) => {
  const ca = makeAuthority(t);
  const site = ca.server(['api.test', 'localhost']);
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => `
server:
  listen:
    - { host: 127.0.0.1, port: 0 }
    - host: 127.0.0.1
      port: 0
      http2: true
      tls: { certs: [{ cert: ${site.cert}, key: ${site.key} }] }
  admin: { host: 127.0.0.1, port: 0 }
${hsAuth()}
rbac:
  roles: { reader: { grants: [order:read] } }
  subjects: { alice: { roles: [reader] } }
upstreams: { svc: { url: "${url}" } }
routes:
  - { path: /orders/:id, upstream: svc, permission: order:read }
  - { path: /orders/:id/delete, upstream: svc, methods: [POST], permission: order:delete }
`);
  const alice = await token({ sub: 'alice' });
  const tlsUrl = gw.urls[1]!;
  t.match(tlsUrl, /^https:\/\/127\.0\.0\.1:\d+$/, 'the TLS listener has an https URL');
  const port = new URL(tlsUrl).port;
  const curl = async (...args: string[]): Promise<{ status: number; version: string; body: string }> => {
    const { stdout } = await run('curl', ['-s', '--http2', '--cacert', ca.caFile, '--resolve', `api.test:${port}:127.0.0.1`, '-w', '\n%{http_code} %{http_version}', ...args]);
    const lines = stdout.trimEnd().split('\n');
    const [status, version] = lines.pop()!.split(' ');
    return { status: Number(status), version: version!, body: lines.join('\n') };
  };
  const base = `https://api.test:${port}`;

  const allowed = await curl('-H', `authorization: Bearer ${alice}`, `${base}/orders/7`);
  t.equal(allowed.status, 200, 'allowed');
  t.equal(allowed.version, '2', 'spoken over HTTP/2');
  t.same(JSON.parse(allowed.body), { target: '/orders/7' }, 'the answer came from the upstream');
  const seen = upstream.requests.at(-1)!;
  t.equal(seen.headers['x-forwarded-proto'], 'https', 'the upstream is told the client used https');
  t.equal(seen.headers['x-auth-subject'], 'alice');
  t.notOk(seen.rawHeaders.some((name, i) => i % 2 === 0 && name.startsWith(':')), 'no pseudo-header reached the upstream');

  const before = upstream.requests.length;
  t.equal((await curl(`${base}/orders/7`)).status, 401, 'no token: 401');
  t.equal((await curl('-X', 'POST', '-H', `authorization: Bearer ${alice}`, `${base}/orders/7/delete`)).status, 403, 'no permission: 403');
  t.equal((await curl('-H', `authorization: Bearer ${alice}`, `${base}/nowhere`)).status, 404, 'no route: 404');
  const refused = await curl(`${base}/orders/7`);
  t.match(JSON.parse(refused.body), { error: { code: 'PG_TOKEN_MISSING' } }, 'the same coded body over h2');
  t.equal(upstream.requests.length, before, 'no refused request reached the upstream');

  // Node's own clients: h2 by ALPN and HTTP/1.1 over TLS on the same port.
  const session = connect(`https://127.0.0.1:${port}`, { ca: ca.caPem, servername: 'api.test' });
  t.teardown(() => session.close());
  const h2 = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const stream = session.request({ ':path': '/orders/9', ':authority': `api.test:${port}`, authorization: `Bearer ${alice}` });
    let body = '';
    let status = 0;
    stream.on('response', (headers) => (status = Number(headers[constants.HTTP2_HEADER_STATUS])));
    stream.on('data', (chunk: Buffer) => (body += chunk));
    stream.on('end', () => resolve({ status, body }));
    stream.on('error', reject);
  });
  t.equal(h2.status, 200);
  t.same(JSON.parse(h2.body), { target: '/orders/9' });
  t.equal(session.alpnProtocol, 'h2');

  const h1 = await new Promise<{ status: number; alpn: string | false }>((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path: '/orders/5', servername: 'api.test', ca: ca.caPem, headers: { host: `api.test:${port}`, authorization: `Bearer ${alice}` } }, (res) => {
      const alpn = (res.socket as unknown as { alpnProtocol: string | false }).alpnProtocol;
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, alpn }));
    });
    req.on('error', reject);
    req.end();
  });
  t.equal(h1.status, 200, 'HTTPS/1.1 on the same port');
  t.not(h1.alpn, 'h2');

  const plain = await fetch(`${gw.url}/orders/3`, { headers: { authorization: `Bearer ${alice}` } });
  t.equal(plain.status, 200, 'the plain listener beside it serves too');
  t.equal(upstream.requests.at(-1)!.headers['x-forwarded-proto'], 'http');
});

