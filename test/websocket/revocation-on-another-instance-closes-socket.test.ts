// Access ends, the connection ends: a WebSocket open on instance B is closed with 1008 within 100 ms of its token
// (by jti) or its subject being revoked through instance A's admin API, on both sides (the upstream's too); other
// callers' sockets stay open. The latency is measured from the moment A has made the revocation (its answer).
import t from 'tap';
import { token } from '../helpers/tokens.js';
import { webSocketFleet } from '../helpers/websocket-fleet.js';
import { closed, nextMessage, openSocket } from '../helpers/websocket-peers.js';

t.test('revoking a token or a subject on A closes the socket open on B within 100 ms', async (t) => {
  const { a, b, upstream, admin } = await webSocketFleet(t);
  // Minted before the revocations (a subject revocation covers tokens issued up to its second).
  const byJti = await token({ sub: 'bob', jti: 'ws-tok-1', scope: 'chat:join' });
  const bySubject = await token({ sub: 'carol', scope: 'chat:join' });
  const bystander = await token({ sub: 'dave', scope: 'chat:join' });

  for (const [what, jwt, revocation] of [
    ['token (jti)', byJti, { jti: 'ws-tok-1' }],
    ['subject', bySubject, { subject: 'carol' }],
  ] as const) {
    const opened = await openSocket(`${b.url}/chat/room`, jwt);
    t.equal(opened.status, 101, `${what}: open on B`);
    const client = opened.socket!;
    client.send('ping');
    await nextMessage(client);
    const upstreamSide = upstream.sockets.at(-1)!;
    const clientClosed = closed(client);
    const upstreamClosed = closed(upstreamSide);
    const sent = performance.now();
    await admin(a, 'POST', '/admin/revocations', revocation);
    const answered = performance.now();
    const end = await clientClosed;
    // As test/revocation/revocation-propagation.test.ts measures it: from the moment A has made the revocation (its
    // admin API answered); the time from sending it (A's own write through Redis included) is printed too.
    const latency = end.at - answered;
    t.comment(`${what} revoked on A: socket on B closed ${latency.toFixed(1)} ms after A answered (${(end.at - sent).toFixed(1)} ms after the revocation was sent)`);
    t.equal(end.code, 1008, `${what}: closed with 1008`);
    t.equal(end.reason, what === 'subject' ? 'subject revoked' : 'token revoked');
    t.ok(latency <= 100, `${what}: closed within 100 ms (${latency.toFixed(1)} ms)`);
    t.equal((await upstreamClosed).code, 1008, `${what}: the upstream side is closed too`);
  }

  const other = await openSocket(`${b.url}/chat/room`, bystander);
  t.equal(other.status, 101);
  const refused = await openSocket(`${b.url}/chat/room`, bySubject);
  t.equal(refused.status, 401, 'the revoked subject cannot open a new one');
  other.socket!.send('still here');
  t.equal((await nextMessage(other.socket!)).text, 'still here', "another caller's socket stays open");
  other.socket!.close();

  const metrics = await b.gateway.metrics.registry.metrics();
  t.match(metrics, /permgate_websocket_closes_total\{reason="token-revoked"\} 1/);
  t.match(metrics, /permgate_websocket_closes_total\{reason="subject-revoked"\} 1/);
  const audited = await b.gateway.audit.query({ action: 'websocket.closed', limit: 10 });
  t.same(audited.entries.map((entry) => entry.target).sort(), ['bob', 'carol'], 'each close is audited with its subject');
});
