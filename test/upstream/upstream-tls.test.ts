// Upstreams over TLS (issue 13): the gateway trusts the upstream's certificate only through `tls.ca`, checks it for
// `tls.serverName`, presents its client certificate to an upstream that requires one, and answers a coded 502 (logged
// with the reason) when any of that fails. Certificates are made with openssl at test time; the upstream is a real
// https server that requires and verifies client certificates and echoes what it saw.
import { copyFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type ServerOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import t, { type Test } from 'tap';
import { request } from 'undici';
import { loadConfig } from '../../src/config/load.js';
import { buildGateway } from '../../src/gateway.js';
import { certificateMaker, type CertificateMaker, type Issued } from '../helpers/certificate-maker.js';

interface Pki {
  readonly maker: CertificateMaker;
  readonly ca: Issued;
  readonly backend: Issued;
  readonly client: Issued;
  /** A CA the gateway does not trust, and a certificate it signed for the same name. */
  readonly otherCa: Issued;
  readonly impostor: Issued;
}

function pki(t: Test): Pki {
  const maker = certificateMaker(t);
  const ca = maker.ca('upstream-ca');
  const otherCa = maker.ca('other-ca');
  return {
    maker,
    ca,
    backend: maker.issue('backend', ca, { dns: ['backend.internal'] }),
    client: maker.issue('permgate-gateway', ca, { client: true }),
    otherCa,
    impostor: maker.issue('impostor', otherCa, { dns: ['backend.internal'] }),
  };
}

/** An https upstream that refuses any client without a certificate signed by `clientCa`, and echoes what it saw. */
async function httpsUpstream(t: Test, serverCert: Issued, clientCa: Issued, extra: ServerOptions = {}): Promise<{ url: string }> {
  const server = createServer({ cert: await readFile(serverCert.cert), key: await readFile(serverCert.key), ca: await readFile(clientCa.cert), requestCert: true, rejectUnauthorized: true, ...extra }, (req, res) => {
    const socket = req.socket as TLSSocket;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ client: socket.getPeerCertificate().subject?.CN, servername: (socket as TLSSocket & { servername?: string }).servername, host: req.headers.host, path: req.url }));
  });
  server.on('tlsClientError', () => {}); // refusals are what these tests cause
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** A gateway from a config file in the certificates' directory (so relative paths resolve there), its log kept. */
async function gatewayFor(t: Test, dir: string, upstream: string): Promise<{ url: string; logs: Record<string, unknown>[]; reload: () => Promise<unknown> }> {
  const file = join(dir, 'gateway.config.yaml');
  writeFileSync(file, `server:\n  listen: { host: 127.0.0.1, port: 0 }\n  admin: { host: 127.0.0.1, port: 0 }\nstore: { path: memory }\nupstreams:\n  backend:\n${upstream.replace(/^/gm, '    ')}\nroutes:\n  - { path: /api/**, upstream: backend, auth: none }\n`);
  const logs: Record<string, unknown>[] = [];
  const gw = await buildGateway(await loadConfig(file), { logger: { level: 'info', stream: { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) } }, processMetrics: false });
  const { url } = await gw.listen();
  t.teardown(() => gw.close());
  return { url, logs, reload: () => gw.reload() };
}

/** undici's request rather than fetch, which will not send a Host of the caller's choosing. */
async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await request(url, { headers });
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
}

const FULL_TLS = 'tls: { ca: upstream-ca.pem, cert: permgate-gateway.pem, key: permgate-gateway.key, serverName: backend.internal }';

t.test('the gateway forwards over TLS with the configured CA, client certificate and server name: the upstream sees the client certificate', async (t) => {
  const p = pki(t);
  const upstream = await httpsUpstream(t, p.backend, p.ca);
  const gw = await gatewayFor(t, p.maker.dir, `url: ${upstream.url}\n${FULL_TLS}`);
  const res = await get(`${gw.url}/api/orders?x=1`);
  t.equal(res.status, 200);
  t.same(res.body, { client: 'permgate-gateway', servername: 'backend.internal', host: new URL(upstream.url).host, path: '/api/orders?x=1' }, 'mTLS, SNI backend.internal, the upstream\'s own Host');
  t.equal((await get(`${gw.url}/api/again`)).status, 200, 'and again on the pooled connection');
});

t.test('under preserveHost the client\'s Host is sent as Host but never becomes the TLS server name', async (t) => {
  const p = pki(t);
  const upstream = await httpsUpstream(t, p.backend, p.ca);
  const gw = await gatewayFor(t, p.maker.dir, `url: ${upstream.url}\npreserveHost: true\n${FULL_TLS}`);
  for (const host of ['a.example', 'b.example']) {
    const res = await get(`${gw.url}/api/x`, { host });
    t.equal(res.status, 200);
    t.match(res.body, { host, servername: 'backend.internal', client: 'permgate-gateway' });
  }
});

t.test('without a client certificate the upstream refuses the handshake and the gateway answers a coded 502, logged', async (t) => {
  const p = pki(t);
  const tls13 = await httpsUpstream(t, p.backend, p.ca);
  const gw13 = await gatewayFor(t, p.maker.dir, `url: ${tls13.url}\ntls: { ca: upstream-ca.pem, serverName: backend.internal }`);
  const refused = await get(`${gw13.url}/api/x`);
  t.equal(refused.status, 502);
  // TLS 1.3 refuses a client certificate after the client's side of the handshake: the gateway sees the connection closed.
  t.match(refused.body, { error: { code: /^PG_UPSTREAM_(UNAVAILABLE|TLS_FAILED)$/ } });
  t.match(gw13.logs.find((l) => l.msg === 'upstream failed'), { level: 40, upstream: 'backend' });

  const tls12 = await httpsUpstream(t, p.backend, p.ca, { maxVersion: 'TLSv1.2' });
  const gw12 = await gatewayFor(t, p.maker.dir, `url: ${tls12.url}\ntls: { ca: upstream-ca.pem, serverName: backend.internal }`);
  const alert = await get(`${gw12.url}/api/x`);
  t.equal(alert.status, 502);
  t.match(alert.body, { error: { code: 'PG_UPSTREAM_TLS_FAILED' } }, 'over TLS 1.2 the refusal is a TLS alert');
  t.match(gw12.logs.find((l) => l.msg === 'upstream failed'), { code: 'PG_UPSTREAM_TLS_FAILED', reason: /^ERR_SSL_/ });
});

t.test('an upstream certificate signed by a CA the gateway does not trust is a coded 502 with the reason logged', async (t) => {
  const p = pki(t);
  const upstream = await httpsUpstream(t, p.impostor, p.ca);
  const gw = await gatewayFor(t, p.maker.dir, `url: ${upstream.url}\n${FULL_TLS}`);
  const res = await get(`${gw.url}/api/x`);
  t.equal(res.status, 502);
  t.match(res.body, { error: { code: 'PG_UPSTREAM_TLS_FAILED' } });
  const line = gw.logs.find((l) => l.msg === 'upstream failed');
  t.match(line, { level: 40, code: 'PG_UPSTREAM_TLS_FAILED', upstream: 'backend', reason: /CERT|UNABLE_TO/ });
  t.notMatch(JSON.stringify(gw.logs), /PRIVATE KEY/, 'no key material in the log');
});

t.test('a server name the upstream\'s certificate does not hold is a coded 502', async (t) => {
  const p = pki(t);
  const upstream = await httpsUpstream(t, p.backend, p.ca);
  const gw = await gatewayFor(t, p.maker.dir, `url: ${upstream.url}\ntls: { ca: upstream-ca.pem, cert: permgate-gateway.pem, key: permgate-gateway.key, serverName: billing.internal }`);
  const res = await get(`${gw.url}/api/x`);
  t.equal(res.status, 502);
  t.match(res.body, { error: { code: 'PG_UPSTREAM_TLS_FAILED' } });
  t.match(gw.logs.find((l) => l.msg === 'upstream failed'), { reason: 'ERR_TLS_CERT_ALTNAME_INVALID', cause: /billing\.internal/ });
});

t.test('an https upstream at an IP address with no serverName is checked against that address: a name-only certificate fails', async (t) => {
  const p = pki(t);
  const upstream = await httpsUpstream(t, p.backend, p.ca);
  const gw = await gatewayFor(t, p.maker.dir, `url: ${upstream.url}\ntls: { ca: upstream-ca.pem, cert: permgate-gateway.pem, key: permgate-gateway.key }`);
  t.match(await get(`${gw.url}/api/x`), { status: 502, body: { error: { code: 'PG_UPSTREAM_TLS_FAILED' } } });
});

t.test('verify: false reaches an upstream whose certificate is not trusted, and every load warns about it', async (t) => {
  const p = pki(t);
  const upstream = await httpsUpstream(t, p.impostor, p.ca);
  const gw = await gatewayFor(t, p.maker.dir, `url: ${upstream.url}\ntls: { cert: permgate-gateway.pem, key: permgate-gateway.key, serverName: backend.internal, verify: false }`);
  t.match(await get(`${gw.url}/api/x`), { status: 200, body: { client: 'permgate-gateway' } });
  t.match(gw.logs.find((l) => l.rule === 'upstream-tls-unverified'), { level: 40, where: /upstreams\.backend\.tls\.verify/ });
});

t.test('a renewed client certificate applies on reload: the pool key holds a digest of the TLS material', async (t) => {
  const p = pki(t);
  const upstream = await httpsUpstream(t, p.backend, p.ca);
  const gw = await gatewayFor(t, p.maker.dir, `url: ${upstream.url}\n${FULL_TLS}`);
  t.match(await get(`${gw.url}/api/x`), { status: 200, body: { client: 'permgate-gateway' } });
  const renewed = p.maker.issue('permgate-gateway-renewed', p.ca, { client: true });
  copyFileSync(renewed.cert, join(p.maker.dir, 'permgate-gateway.pem'));
  copyFileSync(renewed.key, join(p.maker.dir, 'permgate-gateway.key'));
  t.match(await get(`${gw.url}/api/x`), { status: 200, body: { client: 'permgate-gateway' } }, 'files are read at load, not per connection');
  await gw.reload();
  t.match(await get(`${gw.url}/api/x`), { status: 200, body: { client: 'permgate-gateway-renewed' } }, 'after the reload, new connections with the new certificate');
});
