// What `server.listen` refuses, each naming the file, line and key: a certificate file that is missing, not a
// certificate, or a key that is not its certificate's; HTTP/2 without TLS (no h2c); a redirect with nowhere to go;
// two listeners on one port. The one-listener form of before still means the same, and a plain listener with
// `redirect: https` answers 308 to the TLS listener.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/config-error.js';
import { gatewayWithUpstream } from '../helpers/gateway-under-test.js';
import { makeAuthority } from '../helpers/test-certificates.js';
import { rawRequest } from '../helpers/raw-http.js';

const REST = 'upstreams:\n  svc: { url: "http://127.0.0.1:9001" }\nroutes:\n  - { path: /a, upstream: svc, auth: none }\n';

function issuesOf(text: string): ConfigError['issues'] {
  try {
    parseConfig(text + REST, 'listen.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  return [];
}

t.test('bad listeners are config errors naming file, line and key', async (t) => {
  const ca = makeAuthority(t);
  const a = ca.server(['a.test']);
  const b = ca.server(['b.test']);
  const garbage = join(ca.dir, 'garbage.pem');
  writeFileSync(garbage, '-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n');
  const missing = join(ca.dir, 'missing.pem');
  const listener = (tls: string, extra = ''): string => `server:\n  listen:\n    - { host: 127.0.0.1, port: 8443${extra}, tls: ${tls} }\n`;

  t.match(issuesOf(listener(`{ certs: [{ cert: ${missing}, key: ${a.key} }] }`)), [{ keyPath: 'server.listen[0].tls.certs[0].cert', message: /missing\.pem does not exist/, location: { file: 'listen.yaml', line: 3 } }]);
  t.match(issuesOf(listener(`{ certs: [{ cert: ${garbage}, key: ${a.key} }] }`)), [{ keyPath: 'server.listen[0].tls.certs[0].cert', message: /garbage\.pem holds no PEM certificate/ }]);
  t.match(issuesOf(listener(`{ certs: [{ cert: ${a.cert}, key: ${a.cert} }] }`)), [{ keyPath: 'server.listen[0].tls.certs[0].key', message: /holds no PEM private key/ }]);
  t.match(issuesOf(listener(`{ certs: [{ cert: ${a.cert}, key: ${b.key} }] }`)), [{ keyPath: 'server.listen[0].tls.certs[0].key', message: /is not the key of the certificate in .*\.pem/ }]);
  t.match(issuesOf(listener(`{ certs: [{ cert: ${a.cert}, key: ${a.key} }], clientCa: ${missing} }`)), [{ keyPath: 'server.listen[0].tls.clientCa', message: /does not exist/ }]);
  t.match(issuesOf(listener(`{ certs: [{ cert: ${a.cert}, key: ${a.key} }], clientSubject: true }`)), [{ keyPath: 'server.listen[0].tls.clientSubject' }]);
  t.match(issuesOf(listener(`{ certs: [{ cert: ${a.cert}, key: ${a.key} }], minVersion: TLSv1.1 }`)), [{ keyPath: 'server.listen[0].tls.minVersion' }]);
  t.match(issuesOf('server:\n  listen: { host: 127.0.0.1, port: 8080, http2: true }\n'), [{ keyPath: 'server.listen.http2', message: /HTTP\/2 needs tls/, location: { line: 2 } }]);
  t.match(issuesOf('server:\n  listen: { port: 8080, redirect: https }\n'), [{ keyPath: 'server.listen.redirect', message: /no listener has tls/ }]);
  t.match(issuesOf('server:\n  listen:\n    - { port: 8080 }\n    - { port: 8080 }\n'), [{ keyPath: 'server.listen[1]', message: /as listener 0 does/, location: { line: 4 } }]);
  t.match(issuesOf('server:\n  listen: []\n'), [{ keyPath: 'server.listen' }], 'an empty list names no listener');

  const one = parseConfig('server:\n  listen: { host: 127.0.0.1, port: 9090 }\n' + REST, 'one.yaml').config.server.listeners;
  t.match(one, [{ host: '127.0.0.1', port: 9090, tls: undefined, http2: false, redirect: undefined }], 'the one-listener form of before');
  t.match(parseConfig(REST, 'none.yaml').config.server.listeners, [{ host: '0.0.0.0', port: 8080 }], 'the default listener');
});

t.test('redirect: https answers 308 to the same host and target on the TLS listener', async (t) => {
  const ca = makeAuthority(t);
  const site = ca.server(['api.test']);
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => `
server:
  listen:
    - { host: 127.0.0.1, port: 0, redirect: https }
    - { host: 127.0.0.1, port: 0, tls: { certs: [{ cert: ${site.cert}, key: ${site.key} }] } }
  admin: { host: 127.0.0.1, port: 0 }
upstreams: { svc: { url: "${url}" } }
routes:
  - { path: /public/**, upstream: svc, auth: none }
`);
  const tlsPort = new URL(gw.urls[1]!).port;
  const send = (head: string): ReturnType<typeof rawRequest> => rawRequest(gw.port, `${head}\r\nConnection: close\r\n\r\n`);
  const res = await send('GET /public/a?b=1 HTTP/1.1\r\nHost: api.test:8080');
  t.equal(res.status, 308);
  t.equal(res.headers['location'], `https://api.test:${tlsPort}/public/a?b=1`, 'same host and target, the TLS port');
  t.equal((await rawRequest(gw.port, 'POST /public/a HTTP/1.1\r\nHost: api.test\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx')).status, 308, 'any method: 308 keeps it');
  t.equal((await send('GET /public/a HTTP/1.1\r\nHost: evil.test/x')).status, 400, 'a Host that is no host name is not echoed into Location');
  t.equal(upstream.requests.length, 0, 'nothing was served in cleartext');
});
