// A WebSocket handshake on a `websocket` route that passes the whole journey is relayed: the upstream gets the
// authorized path and the gateway's own header set, the client gets the upstream's subprotocol, and frames (text and
// binary) go both ways until one side closes, which closes the other.
import t from 'tap';
import { hsAuth, token } from '../helpers/tokens.js';
import { chatConfig, closed, gatewayWithEchoUpstream, nextMessage, openSocket } from '../helpers/websocket-peers.js';

t.test('an allowed handshake is relayed and frames echo both ways', async (t) => {
  const { gw, upstream } = await gatewayWithEchoUpstream(t, (url) => `
${hsAuth()}rbac: { tokenScopes: true }
upstreams:
  chat: { url: "${url}" }
routes:
  - { path: /chat/:room, upstream: chat, permission: "chat:join:{room}", websocket: true }
`);
  const jwt = await token({ sub: 'alice', scope: 'chat:join:lobby' });
  const opened = await openSocket(`${gw.url}/chat/lobby?since=5`, jwt, { protocols: ['chat', 'other'], headers: { 'x-auth-subject': 'mallory', origin: 'https://app.example' } });
  t.equal(opened.status, 101, 'switched protocols');
  const client = opened.socket!;
  t.type(opened.headers['x-request-id'], 'string', 'the 101 carries the request id');
  t.equal(client.protocol, 'chat', "the upstream's subprotocol reaches the client");

  t.equal(upstream.handshakes.length, 1);
  const seen = upstream.handshakes[0]!;
  t.equal(seen.target, '/chat/lobby?since=5', 'the upstream gets the authorized path and the query');
  t.equal(seen.headers['x-auth-subject'], 'alice', "identity headers are the gateway's, not the client's");
  t.notOk('authorization' in seen.headers, 'the token stays at the gateway');
  t.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
  t.equal(seen.headers.origin, 'https://app.example', 'Origin passes, for the upstream to check');
  t.equal(seen.headers.host, `127.0.0.1:${upstream.port}`, "the upstream's own Host");

  client.send('hello');
  t.same(await nextMessage(client), { text: 'hello', binary: false }, 'text echoes');
  client.send(Buffer.from([0, 1, 2, 255]));
  const binary = await nextMessage(client);
  t.equal(binary.binary, true, 'binary stays binary');

  const upstreamSide = upstream.sockets[0]!;
  const upstreamClosed = closed(upstreamSide);
  client.close(1000, 'bye');
  const code = (await upstreamClosed).code;
  t.equal(code, 1000, "the client's close reaches the upstream");
  const metrics = await gw.gateway.metrics.registry.metrics();
  t.match(metrics, /permgate_websocket_closes_total\{reason="client"\} 1/);
  t.match(metrics, /permgate_requests_total\{route="\/chat\/:room",method="GET",status="101",code=""\} 1/, 'the handshake is recorded as 101');
});

t.test('an upstream close reaches the client with its code', async (t) => {
  const { gw, upstream } = await gatewayWithEchoUpstream(t, (url) => chatConfig(url));
  const opened = await openSocket(`${gw.url}/chat/x`, await token({ scope: 'chat:join' }));
  const client = opened.socket!;
  const done = closed(client);
  upstream.sockets[0]!.close(4000, 'room closed');
  t.equal((await done).code, 4000);
  t.match(await gw.gateway.metrics.registry.metrics(), /permgate_websocket_connections\{route="\/chat\/\*\*"\} 0/, 'the gauge is back to 0');
});
