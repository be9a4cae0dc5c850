// The gateway owns the header set the upstream sees: what clients may not set never arrives, and what the
// gateway adds cannot be removed by the client.
import t from 'tap';
import { gatewayWithUpstream, startGateway } from '../helpers/gateway-under-test.js';
import { rawRequest } from '../helpers/raw-http.js';
import { startRecordingUpstream } from '../helpers/recording-upstream.js';

const routes = (url: string): string => `
upstreams:
  svc: { url: "${url}" }
routes:
  - path: /public/**
    upstream: svc
    auth: none
`;

function request(port: number, headers: string): ReturnType<typeof rawRequest> {
  return rawRequest(port, `GET /public/h HTTP/1.1\r\nHost: client.example\r\n${headers}Connection: close\r\n\r\n`);
}

t.test('identity, forwarding, override and underscore headers from a client never reach the upstream', async (t) => {
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => `
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0 }
  stripHeaders: [X-Legacy-Login, X-Internal-*]
${routes(url)}`);
  const forged = [
    'X-Auth-Subject: admin', 'x-auth-roles: admin', 'X-AUTH-TENANT: t1', 'X_Auth_Subject: admin', 'x_user_id: 1',
    'X-User-Id: 1', 'X-User-Email: a@b', 'X-Remote-User: admin', 'Remote-User: admin', 'X-Forwarded-User: admin',
    'X-Roles: admin', 'X-Permissions: *', 'X-Forwarded-For: 10.0.0.1', 'X-Forwarded-Host: evil', 'X-Forwarded-Proto: https',
    'X-Forwarded-Prefix: /admin', 'Forwarded: for=10.0.0.1', 'X-Real-IP: 10.0.0.1', 'X-Original-URL: /admin',
    'X-Rewrite-URL: /admin', 'X-HTTP-Method-Override: DELETE', 'X-Method-Override: DELETE', 'Upgrade: h2c',
    'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA', 'X-Legacy-Login: admin', 'X-Internal-Token: t', 'Proxy-Authorization: Basic x',
  ];
  const res = await request(gw.port, forged.map((h) => h + '\r\n').join('') + 'Accept: application/json\r\nX-Trace-Me: yes\r\n');
  t.equal(res.status, 200);
  const got = upstream.requests[0]!;
  const names = new Set(Object.keys(got.headers));
  for (const line of forged) {
    const name = line.slice(0, line.indexOf(':')).toLowerCase();
    if (['x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-real-ip'].includes(name)) {
      t.not(got.headers[name], line.slice(line.indexOf(':') + 1).trim(), `${name} is the gateway's, not the client's`);
    } else {
      t.notOk(names.has(name), `${name} is dropped`);
    }
  }
  t.equal(got.headers['x-forwarded-for'], '127.0.0.1', 'built from the socket');
  t.equal(got.headers['x-real-ip'], '127.0.0.1');
  t.equal(got.headers['x-forwarded-proto'], 'http');
  t.notOk(names.has('x-forwarded-host'), 'the client Host is not passed on unless server.forwardedHosts lists it');
  t.equal(got.headers.accept, 'application/json', 'ordinary headers pass');
  t.equal(got.headers['x-trace-me'], 'yes');
  t.equal(got.headers.host, `127.0.0.1:${upstream.port}`, "the upstream's own Host, not the client's");
});

t.test("Connection cannot make the upstream lose the gateway's own headers", async (t) => {
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => routes(url));
  const res = await rawRequest(gw.port, 'GET /public/h HTTP/1.1\r\nHost: c\r\nConnection: close, X-Request-Id, X-Forwarded-For, X-Real-IP\r\n\r\n');
  t.equal(res.status, 200);
  const got = upstream.requests[0]!;
  t.equal(got.headers['x-forwarded-for'], '127.0.0.1');
  t.equal(got.headers['x-real-ip'], '127.0.0.1');
  t.equal(got.headers['x-request-id'], res.headers['x-request-id'], 'the id the client got is the id the upstream got');
});

t.test('X-Request-Id from an untrusted client is replaced; from a trusted proxy it is kept', async (t) => {
  const upstream = await startRecordingUpstream();
  const open = await startGateway(routes(upstream.url));
  const trusting = await startGateway(`
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0 }
  trustProxy: [127.0.0.1]
${routes(upstream.url)}`);
  t.teardown(async () => {
    await open.close();
    await trusting.close();
    await upstream.close();
  });
  const untrusted = await request(open.port, 'X-Request-Id: chosen-by-client\r\n');
  t.not(untrusted.headers['x-request-id'], 'chosen-by-client');
  t.match(untrusted.headers['x-request-id'], /^[0-9a-f-]{36}$/);
  t.equal(upstream.requests[0]!.headers['x-request-id'], untrusted.headers['x-request-id']);

  const trusted = await request(trusting.port, 'X-Request-Id: edge-123\r\n');
  t.equal(trusted.headers['x-request-id'], 'edge-123');
  const malformed = await request(trusting.port, 'X-Request-Id: has spaces and ; stuff\r\n');
  t.not(malformed.headers['x-request-id'], 'has spaces and ; stuff', 'even a trusted id must be well-formed');
});

t.test('X-Forwarded-For: ignored from an untrusted peer; read right to left through trusted proxies', async (t) => {
  const upstream = await startRecordingUpstream();
  const open = await startGateway(routes(upstream.url));
  const trusting = await startGateway(`
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0 }
  trustProxy: [127.0.0.1, 10.0.0.0/8]
${routes(upstream.url)}`);
  t.teardown(async () => {
    await open.close();
    await trusting.close();
    await upstream.close();
  });
  await request(open.port, 'X-Forwarded-For: 1.2.3.4\r\n');
  t.equal(upstream.requests[0]!.headers['x-forwarded-for'], '127.0.0.1', 'a spoofed chain from an untrusted peer is dropped');
  t.equal(upstream.requests[0]!.headers['x-real-ip'], '127.0.0.1');

  await request(trusting.port, 'X-Forwarded-For: 6.6.6.6, 203.0.113.9, 10.1.2.3\r\n');
  const got = upstream.requests[1]!;
  t.equal(got.headers['x-real-ip'], '203.0.113.9', 'the rightmost untrusted hop is the client');
  t.equal(got.headers['x-forwarded-for'], '6.6.6.6, 203.0.113.9, 10.1.2.3, 127.0.0.1', 'the chain is extended by the peer');
});

t.test('hop-by-hop headers from the upstream do not reach the client', async (t) => {
  const upstream = await startRecordingUpstream();
  upstream.handle((_req, res) => {
    res.writeHead(200, { 'keep-alive': 'timeout=99', 'x-app': 'kept', 'x-request-id': 'upstream-made-this', 'content-type': 'text/plain' });
    res.end('ok');
  });
  const gw = await startGateway(routes(upstream.url));
  t.teardown(async () => {
    await gw.close();
    await upstream.close();
  });
  const res = await request(gw.port, '');
  t.equal(res.status, 200);
  t.equal(res.headers['x-app'], 'kept');
  t.not(res.headers['keep-alive'], 'timeout=99');
  t.not(res.headers['x-request-id'], 'upstream-made-this', "the client keeps the gateway's request id");
});
