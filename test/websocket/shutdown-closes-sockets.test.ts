// Open WebSockets do not hold a stopping gateway until its drain deadline: when the drain begins, each is closed with
// 1001 (going away) on both sides, and the gateway finishes closing.
import t from 'tap';
import { startGateway } from '../helpers/gateway-under-test.js';
import { closed, openSocket, startEchoUpstream } from '../helpers/websocket-peers.js';

t.test('closing the gateway closes its WebSockets with 1001', async (t) => {
  const upstream = await startEchoUpstream();
  t.teardown(() => upstream.close());
  const gw = await startGateway(`
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0 }
  drainTimeout: 10s
upstreams:
  chat: { url: "${upstream.url}" }
routes:
  - { path: /chat/**, upstream: chat, auth: none, websocket: true }
`);
  const opened = await openSocket(`${gw.url}/chat/x`);
  const clientClosed = closed(opened.socket!);
  const upstreamClosed = closed(upstream.sockets[0]!);
  const started = performance.now();
  await gw.close();
  const took = performance.now() - started;
  t.equal((await clientClosed).code, 1001, 'the client is told the gateway is going away');
  t.equal((await upstreamClosed).code, 1001, 'so is the upstream');
  t.ok(took < 2_000, `the gateway closed in ${took.toFixed(0)} ms, not at the 10 s drain deadline`);
});
