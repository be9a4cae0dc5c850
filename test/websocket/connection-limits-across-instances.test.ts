// With Redis, rateLimits.connections counts a caller's open WebSockets across instances: a socket open on A takes
// the caller's one place, so a handshake on B is refused 429 before B's upstream is asked; when it closes, B admits.
import t from 'tap';
import { token } from '../helpers/tokens.js';
import { webSocketFleet } from '../helpers/websocket-fleet.js';
import { closed, openSocket } from '../helpers/websocket-peers.js';

t.test('a caller at its bound on A is refused on B, and admitted once the socket on A closes', async (t) => {
  const { a, b, upstream } = await webSocketFleet(t, 'rateLimits:\n  connections: { perSubject: 1 }\n');
  const jwt = await token({ sub: 'kim', scope: 'chat:join' });
  const onA = await openSocket(`${a.url}/chat/room`, jwt);
  t.equal(onA.status, 101);
  const before = upstream.connections();
  const onB = await openSocket(`${b.url}/chat/room`, jwt);
  t.equal(onB.status, 429, 'refused on the other instance');
  t.match(JSON.parse(onB.body).error, { code: 'PG_TOO_MANY_CONNECTIONS', detail: /per caller/ });
  t.equal(upstream.connections(), before, 'the upstream was not asked');
  t.equal((await openSocket(`${b.url}/chat/room`, await token({ sub: 'lou', scope: 'chat:join' }))).status, 101, 'another caller is admitted');

  const gone = closed(onA.socket!);
  onA.socket!.close();
  await gone;
  let again = await openSocket(`${b.url}/chat/room`, jwt);
  for (let i = 0; i < 20 && again.status === 429; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    again = await openSocket(`${b.url}/chat/room`, jwt);
  }
  t.equal(again.status, 101, 'the place is given back when the socket closes');
  again.socket!.close();
});
