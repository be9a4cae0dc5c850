// A handshake the journey refuses is answered with the same coded JSON as any request (401, 403, 404, 400), and no
// byte of it reaches the upstream: the upstream accepts no TCP connection at all. An upstream that refuses the
// gateway's own handshake is a coded 502 to the client, never a socket that opens and drops.
import t from 'tap';
import { startGateway } from '../helpers/gateway-under-test.js';
import { startRecordingUpstream } from '../helpers/recording-upstream.js';
import { hsAuth, token } from '../helpers/tokens.js';
import { openSocket, gatewayWithEchoUpstream } from '../helpers/websocket-peers.js';

t.test('refused handshakes get coded statuses and never reach the upstream', async (t) => {
  const { gw, upstream } = await gatewayWithEchoUpstream(t, (url) => `
${hsAuth()}rbac: { tokenScopes: true }
upstreams:
  chat: { url: "${url}" }
routes:
  - { path: /chat/**, upstream: chat, permission: { GET: chat:read, WEBSOCKET: chat:join }, websocket: true }
`);
  const cases: { name: string; path: string; jwt: string | undefined; status: number; code: string }[] = [
    { name: 'no token', path: '/chat/x', jwt: undefined, status: 401, code: 'PG_TOKEN_MISSING' },
    { name: 'a bad token', path: '/chat/x', jwt: 'not.a.token', status: 401, code: 'PG_TOKEN_MALFORMED' },
    { name: 'the GET code but not the WEBSOCKET one', path: '/chat/x', jwt: await token({ scope: 'chat:read' }), status: 403, code: 'PG_FORBIDDEN' },
    { name: 'no route', path: '/elsewhere', jwt: await token({ scope: 'chat:join' }), status: 404, code: 'PG_ROUTE_NOT_FOUND' },
    { name: 'an ambiguous path', path: '/chat/a%2Fb', jwt: await token({ scope: 'chat:join' }), status: 400, code: 'PG_PATH_INVALID' },
  ];
  for (const c of cases) {
    const res = await openSocket(`${gw.url}${c.path}`, c.jwt);
    t.equal(res.status, c.status, `${c.name}: ${c.status}`);
    t.equal(JSON.parse(res.body).error.code, c.code, `${c.name}: ${c.code}`);
    t.equal(res.socket, undefined);
  }
  t.equal(upstream.connections(), 0, 'the upstream saw no connection');

  const allowed = await openSocket(`${gw.url}/chat/x`, await token({ scope: 'chat:join' }));
  t.equal(allowed.status, 101, 'the WEBSOCKET code opens it (the GET code alone did not)');
  allowed.socket!.close();
});

t.test('an upstream that refuses the handshake, or cannot be reached, is a coded 502', async (t) => {
  // A plain HTTP server: it answers the handshake with 200, not 101.
  const plain = await startRecordingUpstream();
  const gw = await startGateway(`
upstreams:
  plain: { url: "${plain.url}" }
  gone: { url: "http://127.0.0.1:1" }
routes:
  - { path: /plain/**, upstream: plain, auth: none, websocket: true }
  - { path: /gone/**, upstream: gone, auth: none, websocket: true }
`);
  t.teardown(async () => {
    await gw.close();
    await plain.close();
  });
  const refused = await openSocket(`${gw.url}/plain/x`);
  t.equal(refused.status, 502);
  t.equal(JSON.parse(refused.body).error.code, 'PG_UPSTREAM_WEBSOCKET_REFUSED');
  t.equal(plain.requests.length, 1, 'the upstream was asked');
  const unreachable = await openSocket(`${gw.url}/gone/x`);
  t.equal(unreachable.status, 502);
  t.equal(JSON.parse(unreachable.body).error.code, 'PG_UPSTREAM_UNAVAILABLE');
});
