// The gateway pings each client every websocket.pingInterval: a client that answers stays open however quiet it is;
// one that has not answered the previous ping by the next is cut off (a dead peer sends no close frame), and the
// upstream side is closed with 1001.
import t from 'tap';
import { closed, openSocket, gatewayWithEchoUpstream } from '../helpers/websocket-peers.js';

t.test('a client that stops answering pings is cut off; one that answers stays', async (t) => {
  const { gw, upstream } = await gatewayWithEchoUpstream(t, (url) => `
upstreams:
  chat: { url: "${url}" }
routes:
  - { path: /chat/**, upstream: chat, auth: none, websocket: { pingInterval: 100ms } }
`);
  const lively = await openSocket(`${gw.url}/chat/lively`);
  const silent = await openSocket(`${gw.url}/chat/silent`, undefined, { autoPong: false });
  const started = performance.now();
  const upstreamOfSilent = closed(upstream.sockets[1]!);
  const end = await closed(silent.socket!);
  const after = end.at - started;
  t.comment(`silent client cut off after ${after.toFixed(0)} ms (ping interval 100 ms)`);
  t.ok(after >= 100 && after <= 400, 'within two or three intervals');
  t.equal(end.code, 1006, 'cut off without a close handshake');
  t.equal((await upstreamOfSilent).code, 1001, 'the upstream side is told the client went away');
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.equal(lively.socket!.readyState, 1, 'a client that answers pings stays open');
  lively.socket!.close();
  t.match(await gw.gateway.metrics.registry.metrics(), /permgate_websocket_closes_total\{reason="idle"\} 1/);
});
