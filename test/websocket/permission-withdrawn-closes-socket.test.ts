// An RBAC change that takes away the permission a socket's route needs closes it (1008 "permission withdrawn") on
// every instance: a role removed from the subject on A closes the socket on B, and so does a grant taken out of a
// role the subject still holds. A change that leaves the permission in place closes nothing.
import t from 'tap';
import { token } from '../helpers/tokens.js';
import { webSocketFleet } from '../helpers/websocket-fleet.js';
import { closed, nextMessage, openSocket } from '../helpers/websocket-peers.js';

t.test('an RBAC change on A that removes the permission closes the socket on B', async (t) => {
  const { a, b, admin } = await webSocketFleet(t);
  await admin(a, 'PUT', '/admin/rbac/roles/chatter', { grants: ['chat:join'] });
  await admin(a, 'PUT', '/admin/rbac/roles/member', { grants: ['chat:join'] });
  await admin(a, 'POST', '/admin/rbac/subjects/pia/roles', { role: 'chatter' });
  await admin(a, 'POST', '/admin/rbac/subjects/pia/roles', { role: 'member' });
  await admin(a, 'POST', '/admin/rbac/subjects/ulf/roles', { role: 'member' });
  const pia = await token({ sub: 'pia', scope: undefined });
  const ulf = await token({ sub: 'ulf', scope: undefined });

  const opened = await openSocket(`${b.url}/chat/room`, pia);
  t.equal(opened.status, 101, 'pia holds chat:join through two roles');
  const client = opened.socket!;
  const end = closed(client);
  await admin(a, 'DELETE', '/admin/rbac/subjects/pia/roles/chatter');
  client.send('still allowed?');
  t.equal((await nextMessage(client)).text, 'still allowed?', 'one role gone, the other still grants it: open');

  // Measured from A's answer (the change is made), as the revocation test does.
  await admin(a, 'DELETE', '/admin/rbac/subjects/pia/roles/member');
  let answered = performance.now();
  let result = await end;
  t.comment(`role removed from the subject on A: socket on B closed ${(result.at - answered).toFixed(1)} ms after A answered`);
  t.equal(result.code, 1008);
  t.equal(result.reason, 'permission withdrawn');
  t.ok(result.at - answered <= 100, 'within 100 ms');

  const other = await openSocket(`${b.url}/chat/room`, ulf);
  t.equal(other.status, 101);
  const otherEnd = closed(other.socket!);
  await admin(a, 'PUT', '/admin/rbac/roles/member', { grants: ['chat:read'] });
  answered = performance.now();
  result = await otherEnd;
  t.comment(`grant taken out of a role on A: socket on B closed ${(result.at - answered).toFixed(1)} ms after A answered`);
  t.equal(result.code, 1008);
  t.ok(result.at - answered <= 100, 'within 100 ms');
  t.match(await b.gateway.metrics.registry.metrics(), /permgate_websocket_closes_total\{reason="permission-withdrawn"\} 2/);
});
