// On the wire: the upstream receives exactly the canonical path the gateway matched, and an ambiguous path never
// reaches it. Raw bytes over TCP (fastify.inject would normalize paths before the gateway sees them).
import t from 'tap';
import { gatewayWithUpstream } from '../helpers/gateway-under-test.js';
import { rawGet, rawRequest } from '../helpers/raw-http.js';

const config = (url: string): string => `
upstreams:
  svc: { url: "${url}" }
routes:
  - path: /public/**
    upstream: svc
    auth: none
  - path: /admin/**
    upstream: svc
    permission: admin:access
  - path: /api/orders/:id
    upstream: svc
    auth: none
`;

t.test('tricky targets are forwarded as their canonical form, or refused before the upstream', async (t) => {
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => config(url));

  // [raw target, expected status, what the upstream must receive (undefined: nothing)]
  const table: [string, number, string | undefined][] = [
    ['/public/hello', 200, '/public/hello'],
    ['/public//hello///x', 200, '/public/hello/x'],
    ['/public/%61%62c', 200, '/public/abc'],
    ['/public/a%2a%3Ab', 200, '/public/a*:b'],
    ['/public/a%20b%3f', 200, '/public/a%20b%3F'],
    ['/public/caf%c3%a9', 200, '/public/caf%C3%A9'],
    ['/public/x/?q=%2F..%2F&a=1', 200, '/public/x/?q=%2F..%2F&a=1'],
    ['/api/orders/42', 200, '/api/orders/42'],
    ['/public/../admin/x', 400, undefined],
    ['/public/./x', 400, undefined],
    ['/public/%2e%2e/admin/x', 400, undefined],
    ['/public/%2E%2e/admin/x', 400, undefined],
    ['/public/..;/admin/x', 400, undefined],
    ['/;a=b/admin/x', 400, undefined],
    ['/public;x/admin', 400, undefined],
    ['/public/%3B/admin', 400, undefined],
    ['/public/%2fadmin', 400, undefined],
    ['/public/%2Fadmin', 400, undefined],
    ['/public/%5cadmin', 400, undefined],
    ['/public\\..\\admin', 400, undefined],
    ['/public/%252e%252e/admin', 400, undefined],
    ['/public/x%00', 400, undefined],
    ['/public/x%0d%0aX-Injected:%201', 400, undefined],
    ['/public/%c0%ae%c0%ae/admin', 400, undefined],
    ['/public/%zz', 400, undefined],
    ['/public/%u002e', 400, undefined],
    ['/public/"quoted"', 400, undefined],
    ['/public/a..', 400, undefined],
    ['/public/..a', 400, undefined],
    ['/%61dmin/x', 401, undefined], // decodes to /admin/x: judged as admin, not forwarded without a caller
    ['//admin/x', 401, undefined],
    ['/ADMIN/x', 404, undefined], // case-sensitive by default: no route, never forwarded
    ['/admin', 401, undefined],
    ['/public-x/a', 404, undefined], // segment-bounded: /public/** never matches /public-x
    ['/nowhere', 404, undefined],
  ];
  for (const [target, status, forwarded] of table) {
    const before = upstream.requests.length;
    const res = await rawGet(gw.port, target);
    t.equal(res.status, status, `${target} → ${status}`);
    if (forwarded === undefined) {
      t.equal(upstream.requests.length, before, `${target} never reaches the upstream`);
      const body = JSON.parse(res.body) as { error: { code: string } };
      t.match(body.error.code, /^PG_/, `${target} gets a coded JSON error`);
      t.notMatch(res.body, /\s+at\s|\.ts:|\.js:/, 'no stack trace');
    } else {
      t.equal(upstream.requests.length, before + 1);
      t.equal(upstream.requests.at(-1)!.target, forwarded, `${target} is forwarded as ${forwarded}`);
    }
  }
});

t.test('raw non-ASCII bytes and a raw # in the target are refused', async (t) => {
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => config(url));
  for (const target of [Buffer.from('/public/caf\xe9', 'latin1'), Buffer.from('/public/x#frag'), Buffer.from('/public/x?a=#b')]) {
    const res = await rawRequest(gw.port, Buffer.concat([Buffer.from('GET '), target, Buffer.from(' HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n')]));
    t.equal(res.status, 400, `${target.toString('latin1')} is refused`);
  }
  t.equal(upstream.requests.length, 0);
});

t.test('request-targets that are not origin-form are refused and never pick a backend', async (t) => {
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => config(url));
  const absolute = await rawRequest(gw.port, `GET http://127.0.0.1:${upstream.port}/public/x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`);
  t.equal(absolute.status, 400, 'absolute-form');
  const asterisk = await rawRequest(gw.port, 'OPTIONS * HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
  t.ok(asterisk.status === 400 || asterisk.status === 404, `asterisk-form is refused (${asterisk.status})`);
  t.equal(upstream.requests.length, 0);
});

t.test('with caseInsensitive paths, /ADMIN is judged and forwarded as /admin', async (t) => {
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => `
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0 }
  paths: { caseInsensitive: true }
${config(url)}`);
  t.equal((await rawGet(gw.port, '/ADMIN/x')).status, 401, 'the admin route judges it');
  t.equal((await rawGet(gw.port, '/PUBLIC/Hello%3f')).status, 200);
  t.equal(upstream.requests.at(-1)!.target, '/public/hello%3F', 'forwarded in the same lower-cased form it was judged in');
});
