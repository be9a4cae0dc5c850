// HTTP/2 limits per connection: the concurrent streams a client may open (SETTINGS_MAX_CONCURRENT_STREAMS, extra
// streams refused), the header list size (server.limits.headerSize, as for HTTP/1.1), and rapid reset
// (CVE-2023-44487): a client that opens and cancels streams faster than the listener allows is sent GOAWAY and cut
// off, counted in a metric, while other clients are served.
import t from 'tap';
import { connect } from 'node:http2';
import { gatewayWithUpstream } from '../helpers/gateway-under-test.js';
import { frame, literal, rawH2, rawH2Session } from '../helpers/raw-h2.js';
import { siteCertificate } from '../helpers/test-certificates.js';

const GOAWAY = 0x7;
const RST_STREAM = 0x3;
const HEADERS = 0x1;
const ENHANCE_YOUR_CALM = 11;
const REFUSED_STREAM = 7;
const INTERNAL_ERROR = 2;

const head = (path: string): Buffer =>
  Buffer.concat([literal(':method', 'GET'), literal(':scheme', 'https'), literal(':authority', 'api.test'), literal(':path', path)]);

t.test('concurrent streams, header list size and rapid reset are bounded per connection', async (t) => {
  const { ca, tls } = siteCertificate(t);
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => `
server:
  listen:
    host: 127.0.0.1
    port: 0
    http2: true
    h2: { maxConcurrentStreams: 4, resetsPerSecond: 20 }
    tls: ${tls}
  admin: { host: 127.0.0.1, port: 0 }
  limits: { headerSize: 4kb }
upstreams: { svc: { url: "${url}" } }
routes:
  - { path: /public/**, upstream: svc, auth: none }
`);
  // The upstream holds its answers until released, so streams stay open.
  const held: (() => void)[] = [];
  upstream.handle((_req, res) => held.push(() => res.end('ok')));

  const session = connect(gw.url, { ca: ca.caPem, servername: 'api.test' });
  t.teardown(() => session.destroy());
  await new Promise<void>((resolve) => session.once('remoteSettings', () => resolve()));
  t.equal(session.remoteSettings.maxConcurrentStreams, 4, 'the limit is advertised');
  t.equal(session.remoteSettings.maxHeaderListSize, 4096, 'the header list size is server.limits.headerSize');

  // A client that ignores the advertised limit: the fifth stream is refused (nghttp2 treats it as a protocol error of
  // the connection, which is closed).
  const { frames, closed } = await rawH2Session(
    gw.port,
    () => Buffer.concat([1, 3, 5, 7, 9].map((id) => frame(HEADERS, 0x4 | 0x1, id, head(`/public/${id}`)))),
    1_500,
  );
  const refused = frames.find((f) => (f.type === RST_STREAM && f.stream === 9) || f.type === GOAWAY);
  t.ok(refused !== undefined || closed, 'a stream over the limit is refused, or the connection that opened it closed');
  if (refused?.type === RST_STREAM) t.equal(refused.payload.readUInt32BE(0), REFUSED_STREAM, 'REFUSED_STREAM');
  for (const release of held.splice(0)) release();
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.ok(upstream.requests.filter((r) => r.target === '/public/9').length === 0, 'the refused stream never reached the upstream');
  upstream.handle((_req, res) => res.end('ok'));

  // Headers over the limit.
  const big = await rawH2(gw.port, { headers: [[':method', 'GET'], [':scheme', 'https'], [':authority', 'api.test'], [':path', '/public/big'], ['x-big', 'x'.repeat(6_000)]] });
  t.ok(big.kind !== 'response' || big.status === 431, `a header list over the limit is refused (${JSON.stringify(big)})`);
  t.equal(upstream.requests.filter((r) => r.target === '/public/big').length, 0, 'and never forwarded');

  // Rapid reset: 200 streams opened and cancelled at once.
  const attack = await rawH2Session(gw.port, () => {
    const parts: Buffer[] = [];
    for (let i = 0; i < 200; i++) {
      const id = 1 + 2 * i;
      parts.push(frame(HEADERS, 0x4 | 0x1, id, head('/public/reset')));
      const cancel = Buffer.alloc(4);
      cancel.writeUInt32BE(0x8); // CANCEL
      parts.push(frame(RST_STREAM, 0, id, cancel));
    }
    return Buffer.concat(parts);
  }, 3_000);
  const goaway = attack.frames.find((f) => f.type === GOAWAY);
  t.ok(goaway, 'the attacker is sent GOAWAY');
  t.ok(attack.closed, 'and its connection is closed');
  // Node 20's HTTP/2 layer lets the streams through and the gateway's guard ends the connection (ENHANCE_YOUR_CALM,
  // counted); Node 24's stops such a burst itself first (GOAWAY INTERNAL_ERROR), before the guard has counted enough.
  const code = goaway?.payload.readUInt32BE(4);
  if (code === ENHANCE_YOUR_CALM) {
    t.match(await gw.gateway.metrics.own.getSingleMetricAsString('permgate_http2_sessions_closed_total'), /reason="rapid_reset"\} [1-9]/, 'the guard ended it, counted');
  } else {
    t.equal(code, INTERNAL_ERROR, `Node's HTTP/2 layer ended it first (GOAWAY ${code})`);
  }
  t.ok(upstream.requests.filter((r) => r.target === '/public/reset').length <= 40, 'at most a few cancelled streams reached the upstream');

  // Everyone else is still served.
  t.same(await rawH2(gw.port, { headers: [[':method', 'GET'], [':scheme', 'https'], [':authority', 'api.test'], [':path', '/public/after']] }), { kind: 'response', status: 200 });
});
