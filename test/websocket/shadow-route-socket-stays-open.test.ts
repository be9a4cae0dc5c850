// A route that runs authorize in shadow mode is open for what authorize would refuse: a socket it let in without the
// permission is not closed later by the re-decisions either (the sweep, an RBAC change). Its token still ends it.
import t from 'tap';
import { token } from '../helpers/tokens.js';
import { chatConfig, closed, gatewayWithEchoUpstream, nextMessage, openSocket } from '../helpers/websocket-peers.js';

t.test('a socket let in by a shadowed authorize stays open through the sweep, and still ends at exp', async (t) => {
  const { gw } = await gatewayWithEchoUpstream(t, (url) => chatConfig(url).replace('websocket: true }', 'websocket: true, shadow: [authorize] }'));
  // exp is whole seconds: at least 3 s away, so it cannot pass before the sweep has had its turn, even on a slow run.
  const exp = Math.floor(Date.now() / 1000) + 4;
  const opened = await openSocket(`${gw.url}/chat/x`, await token({ scope: 'other:thing', exp }));
  t.equal(opened.status, 101, 'shadowed: let in without chat:join');
  const client = opened.socket!;
  const end = closed(client);
  await new Promise((resolve) => setTimeout(resolve, 1_200)); // past one sweep
  client.send('still open');
  // A socket closed meanwhile answers nothing: fail on the close rather than wait for the test's timeout.
  const echoed = await Promise.race([nextMessage(client), end.then(() => undefined)]);
  t.equal(echoed?.text, 'still open', 'the sweep did not close it');
  const result = await end;
  t.equal(result.code, 1008);
  t.equal(result.reason, 'token expired', 'authenticate is enforced: exp still ends it');
});
