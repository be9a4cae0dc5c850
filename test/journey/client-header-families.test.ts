// Headers a client must not be able to send to an upstream, stripped by family (client address, original path or
// host, matched route, method override, identity) in every spelling a server might still read as the same name;
// X-Forwarded-Host only for listed hosts; the caller's Authorization only where a route forwards it.
import t from 'tap';
import { STRIPPED_FAMILIES } from '../../src/upstream/request-headers.js';
import { gatewayWithUpstream } from '../helpers/gateway-under-test.js';
import { rawRequest } from '../helpers/raw-http.js';
import { hsAuth, token } from '../helpers/tokens.js';

const yaml = (url: string, server = ''): string => `
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0 }
${server}
${hsAuth()}
rbac: { tokenScopes: true }
upstreams:
  svc: { url: "${url}" }
routes:
  - { path: /public/**, upstream: svc, auth: none }
  - { path: /plain/**, upstream: svc, permission: order:read }
  - { path: /passes-token/**, upstream: svc, permission: order:read, forwardAuthorization: true }
`;

const send = (port: number, headers: string, target = '/public/h'): ReturnType<typeof rawRequest> =>
  rawRequest(port, `GET ${target} HTTP/1.1\r\nHost: client.example\r\n${headers}Connection: close\r\n\r\n`);

/** The gateway's own values for the headers it sets itself. */
const OWN: Record<string, string> = { 'x-real-ip': '127.0.0.1', 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'http' };

t.test('every header of every stripped family, sent by a client, is dropped (the gateway sets only its own)', async (t) => {
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => yaml(url));
  const names = STRIPPED_FAMILIES.filter((f) => f.family !== 'hop-by-hop').flatMap((f) => [...f.exact, ...f.prefixes.map((p) => `${p}anything`)]);
  t.ok(names.length > 100, `${names.length} names`);
  const sent = names.map((name) => `${name}: 6.6.6.6\r\n`).join('');
  const res = await send(gw.port, sent + 'X-Trace-Me: yes\r\n');
  t.equal(res.status, 200);
  const got = upstream.requests[0]!.headers;
  for (const name of names) {
    if (name in OWN) t.equal(got[name], OWN[name], `${name} is the gateway's`);
    else if (name === 'x-request-id') t.not(got[name], '6.6.6.6', "x-request-id is the gateway's");
    else t.notOk(name in got, `${name} is dropped`);
  }
  t.equal(got['x-trace-me'], 'yes', 'an ordinary header passes');
});

t.test('X-Real-IP and X-Original-URL cannot arrive under another spelling: case, duplicates, Connection-listed, _ . ~, trailing space', async (t) => {
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => yaml(url));
  const variants = [
    'x-real-ip: 6.6.6.6\r\n',
    'X-REAL-IP: 6.6.6.6\r\nX-Real-Ip: 7.7.7.7\r\n',
    'X-Real-IP: 6.6.6.6 \r\n',
    'Connection: X-Real-IP\r\nX-Real-IP: 6.6.6.6\r\n',
    // CGI-style servers (Apache/nginx FastCGI variables, PHP, WSGI, Rack) read each of these as HTTP_X_REAL_IP
    'X_Real_IP: 6.6.6.6\r\n',
    'X-Real.IP: 6.6.6.6\r\n',
    'X.Real.IP: 6.6.6.6\r\n',
    'X-Real~IP: 6.6.6.6\r\n',
    'X-Original.URL: /admin\r\n',
    'X-Azure-ClientIP: 6.6.6.6\r\nX-Envoy-Original-Path: /admin\r\nX-Middleware-Subrequest: middleware\r\n',
  ];
  for (const [i, variant] of variants.entries()) {
    const res = await send(gw.port, variant);
    t.equal(res.status, 200, JSON.stringify(variant));
    const got = upstream.requests[i]!;
    t.equal(got.headers['x-real-ip'], '127.0.0.1', `${JSON.stringify(variant)}: X-Real-IP is the socket's`);
    const raw = got.rawHeaders.join('\n');
    t.notMatch(raw, /6\.6\.6\.6|7\.7\.7\.7|\/admin|middleware/, `${JSON.stringify(variant)}: no trace of the client's value`);
    t.equal(got.rawHeaders.filter((h) => h.toLowerCase() === 'x-real-ip').length, 1, 'one X-Real-IP');
  }
  // An obs-fold continuation or a space before the colon is no header at all: Node's parser refuses the request.
  for (const malformed of ['X-Trace: a\r\n X-Real-IP: 6.6.6.6\r\n', 'X-Real-IP : 6.6.6.6\r\n']) {
    t.equal((await send(gw.port, malformed)).status, 400, `${JSON.stringify(malformed)} is refused`);
  }
  t.equal(upstream.requests.length, variants.length, 'and never forwarded');
});

t.test('X-Forwarded-Host carries the client Host only for hosts on server.forwardedHosts', async (t) => {
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => yaml(url, '  forwardedHosts: [api.example.com, "shop.example.com:8443"]'));
  const hosts = ['api.example.com', 'API.Example.COM', 'shop.example.com:8443', 'shop.example.com', 'evil.example', 'client.example'];
  for (const host of hosts) {
    await rawRequest(gw.port, `GET /public/h HTTP/1.1\r\nHost: ${host}\r\nX-Forwarded-Host: evil.example\r\nConnection: close\r\n\r\n`);
  }
  t.same(upstream.requests.map((r) => r.headers['x-forwarded-host']), ['api.example.com', 'API.Example.COM', 'shop.example.com:8443', undefined, undefined, undefined]);
  for (const r of upstream.requests) t.not(r.headers.host, 'evil.example', "the upstream's own Host");
});

t.test("the caller's Authorization reaches the upstream only on a route with forwardAuthorization: true", async (t) => {
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => yaml(url));
  const jwt = await token({ sub: 'alice' });
  for (const path of ['/plain/x', '/passes-token/x']) {
    t.equal((await fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${jwt}` } })).status, 200, path);
  }
  await fetch(`${gw.url}/public/x`, { headers: { authorization: 'Basic YWxpY2U6cHc=' } });
  t.notOk('authorization' in upstream.requests[0]!.headers, 'a gateway that has decided does not pass the bearer token on');
  t.equal(upstream.requests[1]!.headers.authorization, `Bearer ${jwt}`, 'forwardAuthorization: true');
  t.notOk('authorization' in upstream.requests[2]!.headers, 'nor on a public route that does not ask for it');
});

t.test('a token carried in the configured cookie follows the same rule: removed from Cookie unless the route forwards credentials', async (t) => {
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => yaml(url).replace(/\nauth:\n  jwt:\n/, '\nauth:\n  jwt:\n    cookie: session\n'));
  const jwt = await token({ sub: 'alice' });
  const cookie = `theme=dark; session=${jwt}; lang=fr`;
  for (const path of ['/plain/x', '/passes-token/x']) t.equal((await fetch(`${gw.url}${path}`, { headers: { cookie } })).status, 200, path);
  await fetch(`${gw.url}/public/x`, { headers: { cookie: `session=${jwt}` } });
  t.equal(upstream.requests[0]!.headers.cookie, 'theme=dark; lang=fr', "the token's cookie is removed, the others stay");
  t.equal(upstream.requests[1]!.headers.cookie, cookie, 'forwardAuthorization: true passes it on');
  t.notOk('cookie' in upstream.requests[2]!.headers, 'a Cookie holding only the token goes altogether');
});
