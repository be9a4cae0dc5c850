// A message larger than the route's websocket.maxPayload closes the socket with 1009 (message too big); the
// oversized message never reaches the upstream, whose side is closed too.
import t from 'tap';
import { closed, nextMessage, openSocket, gatewayWithEchoUpstream } from '../helpers/websocket-peers.js';

t.test('a message over maxPayload closes the socket with 1009', async (t) => {
  const { gw, upstream } = await gatewayWithEchoUpstream(t, (url) => `
upstreams:
  chat: { url: "${url}" }
routes:
  - { path: /chat/**, upstream: chat, auth: none, websocket: { maxPayload: 1kb } }
`);
  const opened = await openSocket(`${gw.url}/chat/x`);
  const client = opened.socket!;
  client.send('a'.repeat(1024));
  t.equal((await nextMessage(client)).text.length, 1024, 'a message of exactly maxPayload passes');
  let upstreamGot = 0;
  upstream.sockets[0]!.on('message', () => upstreamGot++);
  const upstreamClosed = closed(upstream.sockets[0]!);
  const end = closed(client);
  client.send('b'.repeat(1025));
  t.equal((await end).code, 1009, 'closed with 1009');
  t.equal((await upstreamClosed).code, 1009, 'the upstream is told why');
  t.equal(upstreamGot, 0, 'the oversized message never reached the upstream');
  const metrics = await gw.gateway.metrics.registry.metrics();
  t.match(metrics, /permgate_websocket_closes_total\{reason="too-large"\} 1/);
});
