// A socket lives no longer than the token that opened it: at the token's exp it is closed with 1008 "token expired",
// upstream side too, without any request or sweep having to notice.
import t from 'tap';
import { token } from '../helpers/tokens.js';
import { chatConfig, closed, gatewayWithEchoUpstream, openSocket } from '../helpers/websocket-peers.js';

t.test('the socket closes with 1008 when its token expires', async (t) => {
  const { gw, upstream } = await gatewayWithEchoUpstream(t, (url) => chatConfig(url));
  // Whole seconds: at least 2 s away, so a slow handshake on a loaded machine is not already past it.
  const exp = Math.floor(Date.now() / 1000) + 3;
  const opened = await openSocket(`${gw.url}/chat/x`, await token({ scope: 'chat:join', exp }));
  t.equal(opened.status, 101);
  const upstreamClosed = closed(upstream.sockets[0]!);
  const end = await closed(opened.socket!);
  const late = Date.now() - exp * 1000;
  t.comment(`closed ${late} ms after exp`);
  t.equal(end.code, 1008);
  t.equal(end.reason, 'token expired');
  t.ok(late >= 0, 'not before exp');
  t.ok(late <= 100, `within 100 ms of exp (${late} ms)`);
  t.equal((await upstreamClosed).code, 1008, 'the upstream side is closed too');
  const audited = await gw.gateway.audit.query({ action: 'websocket.closed', limit: 10 });
  t.match(audited.entries[0], { actor: 'gateway', target: 'alice', after: { reason: 'token-expired', route: '/chat/**' } }, 'audited');
});
