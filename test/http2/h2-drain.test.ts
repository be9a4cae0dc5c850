// Shutdown over HTTP/2: as the drain delay begins, every HTTP/2 connection is sent GOAWAY, so clients open their next
// streams on a new connection (through the load balancer) instead of being reset; a stream already in flight on it
// is answered, and the gateway's close ends once it has been.
import t from 'tap';
import { connect } from 'node:http2';
import { gatewayWithUpstream } from '../helpers/gateway-under-test.js';
import { siteCertificate } from '../helpers/test-certificates.js';

t.test('drain: GOAWAY at the start of the delay, the stream in flight is answered', async (t) => {
  const { ca, tls } = siteCertificate(t);
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => `
server:
  listen: { host: 127.0.0.1, port: 0, http2: true, tls: ${tls} }
  admin: { host: 127.0.0.1, port: 0 }
upstreams: { svc: { url: "${url}" } }
routes:
  - { path: /public/**, upstream: svc, auth: none }
`);
  // The answer to /public/slow comes 400 ms after it is asked for.
  upstream.handle((req, res) => (req.url === '/public/slow' ? setTimeout(() => res.end('slow'), 400) : res.end('ok')));
  const session = connect(gw.url, { ca: ca.caPem, servername: 'api.test' });
  t.teardown(() => session.destroy());
  const goaway = new Promise<number>((resolve) => session.once('goaway', () => resolve(performance.now())));
  const slow = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const stream = session.request({ ':path': '/public/slow' });
    let body = '';
    let status = 0;
    stream.on('response', (h) => (status = Number(h[':status'])));
    stream.on('data', (c: Buffer) => (body += c));
    stream.on('end', () => resolve({ status, body }));
    stream.on('error', reject);
  });
  await new Promise((resolve) => setTimeout(resolve, 100));
  const closingAt = performance.now();
  const closed = gw.gateway.close({ drainDelay: 200 });
  const goneAt = await goaway;
  t.ok(goneAt - closingAt < 150, `GOAWAY as the drain delay begins (${Math.round(goneAt - closingAt)} ms)`);
  t.same(await slow, { status: 200, body: 'slow' }, 'the stream in flight is answered');
  await closed;
  t.pass('the gateway closed');
});
