// Certificates are chosen by SNI and renewed without a restart: a file rewritten on disk (certbot, cert-manager) is
// served to new handshakes within a poll, an open connection keeps working across the swap, a reload reads them
// again, and renewed files that do not read keep the certificates in force. Their expiry shows in a metric.
import t from 'tap';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';
import { Agent, request } from 'undici';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/config-error.js';
import { gatewayWithUpstream } from '../helpers/gateway-under-test.js';
import { makeAuthority } from '../helpers/test-certificates.js';

/** The certificate a new handshake with this SNI name is given. */
function servedTo(port: number, servername: string | undefined, ca: string): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca, ...(servername ? { servername } : {}), rejectUnauthorized: false }, () => {
      const cert = socket.getPeerCertificate();
      socket.end();
      resolve(cert);
    });
    socket.on('error', reject);
  });
}

const config = (url: string, dir: string): string => `
server:
  listen:
    host: 127.0.0.1
    port: 0
    tls:
      certs:
        - { cert: ${join(dir, 'live-a.pem')}, key: ${join(dir, 'live-a.key')} }
        - { cert: ${join(dir, 'live-b.pem')}, key: ${join(dir, 'live-b.key')} }
  admin: { host: 127.0.0.1, port: 0 }
store: { path: memory }
upstreams: { svc: { url: "${url}" } }
routes:
  - { path: /public/**, upstream: svc, auth: none }
`;

t.test('SNI picks the certificate by name (wildcards too); a renewal on disk is served without a restart', async (t) => {
  const ca = makeAuthority(t);
  const a = ca.server(['a.test']);
  const b = ca.server(['b.test', '*.wild.test']);
  copyFileSync(a.cert, join(ca.dir, 'live-a.pem'));
  copyFileSync(a.key, join(ca.dir, 'live-a.key'));
  copyFileSync(b.cert, join(ca.dir, 'live-b.pem'));
  copyFileSync(b.key, join(ca.dir, 'live-b.key'));
  const { gw } = await gatewayWithUpstream(t, (url) => config(url, ca.dir));
  const port = gw.port;
  t.match(gw.url, /^https:/);

  t.match((await servedTo(port, 'a.test', ca.caPem)).subject, { CN: 'a.test' }, 'a.test gets its certificate');
  t.match((await servedTo(port, 'b.test', ca.caPem)).subject, { CN: 'b.test' }, 'b.test gets its certificate');
  t.match((await servedTo(port, 'x.wild.test', ca.caPem)).subject, { CN: 'b.test' }, 'a name under a wildcard gets the wildcard certificate');
  t.match((await servedTo(port, 'other.test', ca.caPem)).subject, { CN: 'a.test' }, 'an unknown name gets the first certificate');
  t.match((await servedTo(port, undefined, ca.caPem)).subject, { CN: 'a.test' }, 'no SNI: the first certificate');

  const metrics = await gw.gateway.metrics.own.getSingleMetricAsString('permgate_tls_certificate_expiry_seconds');
  const days = [...metrics.matchAll(/certificate="[^"]*live-a\.pem"\} (-?\d+)/g)].map((m) => Number(m[1]) / 86_400);
  t.ok(days.length === 1 && days[0]! > 29 && days[0]! <= 30, `expiry metric in days: ${days}`);

  // A client with a kept-alive connection across the renewal.
  const agent = new Agent({ connect: { ca: ca.caPem, servername: 'a.test' } });
  t.teardown(() => agent.close());
  const get = async (): Promise<number> => {
    const res = await request(`https://127.0.0.1:${port}/public/x`, { dispatcher: agent, headers: { host: 'a.test' } });
    await res.body.text();
    return res.statusCode;
  };
  t.equal(await get(), 200);
  const firstFingerprint = (await servedTo(port, 'a.test', ca.caPem)).fingerprint256;

  // Renewed: a key written first and its certificate a moment later, as a renewal tool does.
  const renewed = ca.server(['a.test'], { days: 60 });
  copyFileSync(renewed.key, join(ca.dir, 'live-a.key'));
  await new Promise((resolve) => setTimeout(resolve, 50));
  copyFileSync(renewed.cert, join(ca.dir, 'live-a.pem'));
  const deadline = Date.now() + 8_000;
  let served = firstFingerprint;
  while (served === firstFingerprint && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    served = (await servedTo(port, 'a.test', ca.caPem)).fingerprint256;
  }
  t.not(served, firstFingerprint, 'the renewed certificate is served to new handshakes, without a restart');
  t.equal(await get(), 200, 'the connection opened before the renewal still serves');
  const renewedDays = [...(await gw.gateway.metrics.own.getSingleMetricAsString('permgate_tls_certificate_expiry_seconds')).matchAll(/live-a\.pem"\} (-?\d+)/g)].map((m) => Number(m[1]) / 86_400);
  t.ok(renewedDays[0]! > 59, `the metric follows the renewal: ${renewedDays}`);
  t.match(await gw.gateway.metrics.own.getSingleMetricAsString('permgate_tls_certificate_reloads_total'), /outcome="applied"\} [1-9]/);

  // A broken renewal keeps the certificate in force.
  writeFileSync(join(ca.dir, 'live-a.pem'), 'not a certificate');
  const rejected = Date.now() + 8_000;
  while (!/outcome="rejected"\} [1-9]/.test(await gw.gateway.metrics.own.getSingleMetricAsString('permgate_tls_certificate_reloads_total')) && Date.now() < rejected) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  t.match(await gw.gateway.metrics.own.getSingleMetricAsString('permgate_tls_certificate_reloads_total'), /outcome="rejected"\} [1-9]/, 'the broken renewal is counted');
  t.equal((await servedTo(port, 'a.test', ca.caPem)).fingerprint256, served, 'the certificate in force stays');

  // A reload reads the files too, and a bad one is a config error naming the file and the key.
  const upstreamUrl = gw.gateway.config.config.upstreams.get('svc')!.url.origin;
  try {
    parseConfig(config(upstreamUrl, ca.dir), join(ca.dir, 'gw.yaml'));
    t.fail('a broken certificate file must be refused');
  } catch (err) {
    t.ok(err instanceof ConfigError);
    t.match((err as ConfigError).issues[0], { keyPath: 'server.listen.tls.certs[0].cert', message: /live-a\.pem holds no PEM certificate/, location: { line: 8 } }, 'a config error naming the file, line and key');
  }
  copyFileSync(renewed.cert, join(ca.dir, 'live-a.pem'));
  const other = ca.server(['a.test'], { days: 90 });
  copyFileSync(other.cert, join(ca.dir, 'live-a.pem'));
  copyFileSync(other.key, join(ca.dir, 'live-a.key'));
  await gw.gateway.reload({ next: parseConfig(config(upstreamUrl, ca.dir), join(ca.dir, 'gw.yaml')) });
  t.not((await servedTo(port, 'a.test', ca.caPem)).fingerprint256, served, 'a reload serves the files as they are now');
  t.equal(await get(), 200, 'and the kept-alive connection still serves');
});
