// A client that cuts its HTTP/2 connection with many streams in flight (a load generator at the end of its run, a
// browser tab closed) must not take the upstream's pool with it: the answers that were on their way are dropped and
// their upstream connections freed at once, so the next client is served now, not after the send timeout. Found by
// the TLS bench: 320 cut streams left the gateway answering nothing for seconds.
import t from 'tap';
import { connect } from 'node:http2';
import { gatewayWithUpstream } from '../helpers/gateway-under-test.js';
import { siteCertificate } from '../helpers/test-certificates.js';

t.test('streams cut mid-answer release their upstream connections', async (t) => {
  const { ca, tls } = siteCertificate(t);
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => `
server:
  listen: { host: 127.0.0.1, port: 0, http2: true, tls: ${tls} }
  admin: { host: 127.0.0.1, port: 0 }
  timeouts: { send: 30s }
upstreams: { svc: { url: "${url}", connections: 4 } }
routes:
  - { path: /public/**, upstream: svc, auth: none }
`);
  // Each answer comes in pieces: a head and a first chunk, then the rest while the client is already gone.
  upstream.handle((req, res) => {
    if (req.url === '/public/now') return void res.end('now');
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.write(Buffer.alloc(1024));
    const more = setInterval(() => {
      if (res.destroyed) return clearInterval(more);
      res.write(Buffer.alloc(64 * 1024));
    }, 20);
    setTimeout(() => {
      clearInterval(more);
      res.end();
    }, 3_000).unref();
  });

  const cutter = connect(gw.url, { ca: ca.caPem, servername: 'api.test' });
  cutter.on('error', () => {});
  const started = Array.from({ length: 16 }, (_, i) => new Promise<void>((resolve) => {
    const stream = cutter.request({ ':path': `/public/slow/${i}` });
    stream.on('error', () => {});
    stream.once('response', () => resolve());
    stream.once('close', () => resolve());
  }));
  // Once the first answers are flowing, the client vanishes with every stream open.
  await Promise.race([Promise.all(started), new Promise((resolve) => setTimeout(resolve, 1_000))]);
  cutter.destroy();
  await new Promise((resolve) => setTimeout(resolve, 100));

  const next = connect(gw.url, { ca: ca.caPem, servername: 'api.test' });
  t.teardown(() => next.destroy());
  const began = performance.now();
  const status = await new Promise<number>((resolve, reject) => {
    const stream = next.request({ ':path': '/public/now' });
    stream.on('response', (headers) => resolve(Number(headers[':status'])));
    stream.on('error', reject);
    stream.resume();
  });
  const waited = performance.now() - began;
  t.equal(status, 200);
  t.ok(waited < 1_500, `the next client is served at once, not after the cut answers time out (${Math.round(waited)} ms)`);
});
