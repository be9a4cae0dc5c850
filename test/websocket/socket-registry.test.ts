// The registry alone, on an injected clock: which connections each announcement ends and why, what the sweep
// catches that no announcement said, and how the bounds count (watched responses count against none).
import t from 'tap';
import type { VerifiedToken } from '../../src/auth/claims.js';
import type { Decision } from '../../src/rbac/compile.js';
import type { AuthorizationRequest } from '../../src/rbac/authorizer.js';
import { SocketRegistry, type AccessEnd, type LiveConnection } from '../../src/websocket/socket-registry.js';

interface Fake extends LiveConnection {
  readonly ended: AccessEnd[];
}

function connection(subject: string, jti: string, exp: number, kind: 'websocket' | 'response' = 'websocket', address = '10.0.0.1'): Fake {
  const ended: AccessEnd[] = [];
  const token = { identity: { subject, roles: [], scopes: [], tenant: undefined }, jti, iat: 0, exp } as unknown as VerifiedToken;
  const authorization = { identity: token.identity, tenant: undefined, codes: ['chat:join'], mode: 'all', sensitive: false } as unknown as AuthorizationRequest;
  return { kind, route: '/chat/**', address, token, authorization, ended, end: (reason) => ended.push(reason), shutdown() {} };
}

function registry(state: { now: number; revoked: Set<string>; denied: Set<string> }): SocketRegistry {
  return new SocketRegistry({
    now: () => state.now,
    isRevoked: (token) => state.revoked.has(token.jti!) || state.revoked.has(token.identity.subject),
    authorizer: () => ({
      authorize: (request): Decision => (state.denied.has(request.identity.subject) ? { allowed: false, code: 'chat:join', reason: 'missing' } as Decision : { allowed: true } as Decision),
    }),
    sweepInterval: 60_000,
  });
}

t.test('announcements end exactly the connections they concern, with their reason', async (t) => {
  const state = { now: 1_000_000, revoked: new Set<string>(), denied: new Set<string>() };
  const reg = registry(state);
  t.teardown(() => reg.close());
  const [a1, a2, b1] = [connection('ann', 'j1', 2_000), connection('ann', 'j2', 2_000), connection('ben', 'j3', 2_000)];
  for (const c of [a1, a2, b1]) t.equal(reg.admit(c, undefined), undefined);
  state.revoked.add('j1');
  reg.revocationChanged({ kind: 'token', jti: 'j1' });
  t.same([a1.ended, a2.ended, b1.ended], [['token-revoked'], [], []], 'a token: only its connection');
  state.denied.add('ann');
  reg.permissionsChanged({ subject: 'ben' });
  t.same(a2.ended, [], "another subject's change decides nothing for ann");
  reg.permissionsChanged('all');
  t.same([a2.ended, b1.ended], [['permission-withdrawn'], []], 'a change for all: only the denied');
  state.revoked.add('ben');
  reg.revocationChanged({ kind: 'subject', subject: 'ben' });
  t.same(b1.ended, ['subject-revoked']);
  t.equal(reg.size, 0, 'ended connections leave the registry');
});

t.test('the sweep catches an expiry and a revocation nobody announced', async (t) => {
  const state = { now: 1_000_000, revoked: new Set<string>(), denied: new Set<string>() };
  const reg = registry(state);
  t.teardown(() => reg.close());
  const expiring = connection('cy', 'j4', 1_500);
  const revoked = connection('dee', 'j5', 5_000);
  const fine = connection('eli', 'j6', 5_000);
  for (const c of [expiring, revoked, fine]) reg.admit(c, undefined);
  state.now = 1_500_000; // exp of the first, in ms
  state.revoked.add('j5');
  reg.sweep();
  t.same([expiring.ended, revoked.ended, fine.ended], [['token-expired'], ['token-revoked'], []]);
});

t.test('bounds count open WebSockets per subject and per address; watched responses do not count', async (t) => {
  const state = { now: 1_000_000, revoked: new Set<string>(), denied: new Set<string>() };
  const reg = registry(state);
  t.teardown(() => reg.close());
  const limits = { perSubject: 1, perAddress: 2 };
  reg.watch(connection('fin', 'r1', 5_000, 'response'));
  t.equal(reg.admit(connection('fin', 'w1', 5_000), limits), undefined, 'a response in flight takes no place');
  t.equal(reg.admit(connection('fin', 'w2', 5_000), limits)?.code, 'PG_TOO_MANY_CONNECTIONS');
  const gus = connection('gus', 'w3', 5_000);
  t.equal(reg.admit(gus, limits), undefined);
  t.match(reg.admit(connection('hal', 'w4', 5_000), limits), { code: 'PG_TOO_MANY_CONNECTIONS', detail: /per client address/ });
  t.equal(reg.admit(connection('hal', 'w5', 5_000, 'websocket', '10.0.0.2'), limits), undefined, 'another address has its own bound');
  reg.remove(gus);
  t.equal(reg.admit(connection('ivy', 'w6', 5_000), limits), undefined, 'a removed connection frees its place');
});
