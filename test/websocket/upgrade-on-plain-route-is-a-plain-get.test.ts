// Only a websocket route switches protocols. A WebSocket handshake anywhere else, and any other Upgrade (h2c), is
// served as the plain request it also is: the upstream gets a GET without Upgrade, and the client gets its answer
// (and the connection closes after it).
import t from 'tap';
import { rawRequest } from '../helpers/raw-http.js';
import { openSocket, gatewayWithEchoUpstream } from '../helpers/websocket-peers.js';

t.test('an Upgrade on a route without websocket is forwarded as a plain GET without Upgrade', async (t) => {
  const { gw, upstream } = await gatewayWithEchoUpstream(t, (url) => `
upstreams:
  svc: { url: "${url}" }
routes:
  - { path: /plain/**, upstream: svc, auth: none }
`);
  const res = await openSocket(`${gw.url}/plain/x`);
  t.equal(res.status, 200, 'no switch: the plain answer');
  t.same(JSON.parse(res.body), { plain: true });
  t.equal(upstream.handshakes.length, 0, 'the upstream saw no handshake');
  t.equal(upstream.plain.length, 1);
  const got = upstream.plain[0]!;
  t.equal(got.method, 'GET');
  t.notOk('upgrade' in got.headers, 'Upgrade stripped');
  t.not(got.headers.connection?.toLowerCase(), 'upgrade', 'Connection: Upgrade stripped too');

  const h2c = await rawRequest(gw.port, 'GET /plain/y HTTP/1.1\r\nHost: c\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n');
  t.equal(h2c.status, 200, 'h2c is never switched to');
  const second = upstream.plain[1]!;
  t.notOk('upgrade' in second.headers);
  t.notOk('http2-settings' in second.headers);

  const withBody = await rawRequest(gw.port, 'POST /plain/z HTTP/1.1\r\nHost: c\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nContent-Length: 5\r\n\r\nhello');
  t.equal(withBody.status, 400, 'an Upgrade request with a body is refused, not guessed at');
  t.equal(upstream.plain.length, 2);
});
