// Server-sent events and other long responses on a websocket route end the way its sockets do: revoking the caller
// cuts the stream in flight within 100 ms (the client sees it end incomplete), while another caller's stream goes on.
import { request, type IncomingMessage } from 'node:http';
import t from 'tap';
import { startGateway } from '../helpers/gateway-under-test.js';
import { startRecordingUpstream } from '../helpers/recording-upstream.js';
import { hsAuth, token } from '../helpers/tokens.js';

const ADMIN = 'admin-token-for-stream-tests-0123456789';

function stream(url: string, jwt: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { authorization: `Bearer ${jwt}`, accept: 'text/event-stream' } }, resolve);
    req.on('error', reject);
    req.end();
  });
}

/** Resolves with performance.now() when the response ends or is cut, and whether it was complete. */
function ended(res: IncomingMessage): Promise<{ at: number; complete: boolean }> {
  return new Promise((resolve) => res.once('close', () => resolve({ at: performance.now(), complete: res.complete })));
}

t.test('revoking the caller cuts its event stream on a websocket route', async (t) => {
  const upstream = await startRecordingUpstream();
  const timers = new Set<NodeJS.Timeout>();
  upstream.handle((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let n = 0;
    const timer = setInterval(() => res.write(`data: ${n++}\n\n`), 20);
    timers.add(timer);
    res.on('close', () => clearInterval(timer));
  });
  const gw = await startGateway(`
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0, token: ${ADMIN} }
${hsAuth()}rbac: { tokenScopes: true }
upstreams:
  live: { url: "${upstream.url}" }
routes:
  - { path: /events/**, upstream: live, permission: events:read, websocket: true }
`);
  t.teardown(async () => {
    for (const timer of timers) clearInterval(timer);
    await gw.close();
    await upstream.close();
  });
  const eve = await stream(`${gw.url}/events/feed`, await token({ sub: 'eve', scope: 'events:read' }));
  const fay = await stream(`${gw.url}/events/feed`, await token({ sub: 'fay', scope: 'events:read' }));
  t.equal(eve.statusCode, 200);
  await new Promise<void>((resolve) => eve.once('data', () => resolve()));
  fay.resume();
  eve.resume();
  const eveEnded = ended(eve);
  const sent = performance.now();
  const res = await fetch(`${gw.adminUrl}/admin/revocations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ subject: 'eve' }),
  });
  const answered = performance.now();
  t.equal(res.status, 201);
  const end = await eveEnded;
  t.comment(`stream cut ${(end.at - sent).toFixed(1)} ms after the revocation was sent, ${(end.at - answered).toFixed(1)} ms after the admin API answered`);
  t.equal(end.complete, false, 'the stream ends incomplete');
  // The revocation is made when the admin API answers (the first admin call of a process also pays for its
  // connection and the admin token check, which is not what this measures).
  t.ok(end.at - answered <= 100, 'within 100 ms of the revocation');
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.equal(fay.destroyed, false, "another caller's stream goes on");
  fay.destroy();
  const audited = await gw.gateway.audit.query({ action: 'response.closed', limit: 10 });
  t.match(audited.entries, [{ target: 'eve', after: { reason: 'subject-revoked' } }], 'audited');
});
