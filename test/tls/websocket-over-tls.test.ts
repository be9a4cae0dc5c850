// wss:// through the gateway's TLS listeners, HTTP/2 ones included (a WebSocket client speaks HTTP/1.1 there by
// ALPN): the handshake runs the whole journey, frames echo, a refused handshake is the same coded answer.
import t from 'tap';
import { startGateway } from '../helpers/gateway-under-test.js';
import { makeAuthority } from '../helpers/test-certificates.js';
import { token } from '../helpers/tokens.js';
import { chatConfig, nextMessage, openSocket, startEchoUpstream } from '../helpers/websocket-peers.js';

t.test('wss:// on a TLS listener and on an HTTP/2 one', async (t) => {
  const ca = makeAuthority(t);
  const site = ca.server(['chat.test', 'localhost']);
  const upstream = await startEchoUpstream();
  const tls = `{ certs: [{ cert: ${site.cert}, key: ${site.key} }] }`;
  const gw = await startGateway(`
server:
  listen:
    - { host: 127.0.0.1, port: 0, tls: ${tls} }
    - { host: 127.0.0.1, port: 0, http2: true, tls: ${tls} }
  admin: { host: 127.0.0.1, port: 0 }
${chatConfig(upstream.url)}`);
  t.teardown(async () => {
    await gw.close();
    await upstream.close();
  });
  const jwt = await token({ sub: 'alice', scope: 'chat:join' });
  for (const url of gw.urls) {
    const port = new URL(url).port;
    const opened = await openSocket(`https://localhost:${port}/chat/room`, jwt, { ca: ca.caPem });
    t.equal(opened.status, 101, `${url}: switched protocols`);
    opened.socket!.send('over tls');
    t.same(await nextMessage(opened.socket!), { text: 'over tls', binary: false }, `${url}: frames echo`);
    opened.socket!.close();
    const refused = await openSocket(`https://localhost:${port}/chat/room`, undefined, { ca: ca.caPem });
    t.equal(refused.status, 401, `${url}: no token, the same coded 401`);
    t.match(JSON.parse(refused.body), { error: { code: 'PG_TOKEN_MISSING' } });
  }
  t.equal(upstream.handshakes.length, 2, 'only the allowed handshakes reached the upstream');
});
