// rateLimits.connections bounds open WebSockets per caller and per client address: one handshake more is refused 429
// (PG_TOO_MANY_CONNECTIONS) before the upstream is asked, and a closed socket frees its place.
import t from 'tap';
import { token } from '../helpers/tokens.js';
import { chatConfig, closed, gatewayWithEchoUpstream, openSocket } from '../helpers/websocket-peers.js';

t.test('a caller over its open-socket bound is refused 429 before the upstream is asked', async (t) => {
  const { gw, upstream } = await gatewayWithEchoUpstream(t, (url) => chatConfig(url, 'rateLimits:\n  connections: { perSubject: 2, perAddress: 3 }\n'));
  const alice = await token({ sub: 'alice', scope: 'chat:join' });
  const first = await openSocket(`${gw.url}/chat/a`, alice);
  const second = await openSocket(`${gw.url}/chat/b`, alice);
  t.equal(first.status, 101);
  t.equal(second.status, 101);
  const before = upstream.connections();
  const third = await openSocket(`${gw.url}/chat/c`, alice);
  t.equal(third.status, 429, 'a third socket for alice is refused');
  t.equal(JSON.parse(third.body).error.code, 'PG_TOO_MANY_CONNECTIONS');
  t.match(JSON.parse(third.body).error.detail, /per caller/);
  t.equal(upstream.connections(), before, 'the upstream was not asked');

  const bob = await openSocket(`${gw.url}/chat/d`, await token({ sub: 'bob', scope: 'chat:join' }));
  t.equal(bob.status, 101, 'another caller has its own bound');
  const carol = await openSocket(`${gw.url}/chat/e`, await token({ sub: 'carol', scope: 'chat:join' }));
  t.equal(carol.status, 429, 'but the address is at its bound of 3');
  t.match(JSON.parse(carol.body).error.detail, /per client address/);

  const gone = closed(first.socket!);
  first.socket!.close();
  await gone;
  // The gateway sees the close a moment after the client does.
  let again = await openSocket(`${gw.url}/chat/c`, alice);
  for (let i = 0; i < 20 && again.status === 429; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    again = await openSocket(`${gw.url}/chat/c`, alice);
  }
  t.equal(again.status, 101, 'a closed socket frees its place');
  for (const open of [second, bob, again]) open.socket!.close();
});
