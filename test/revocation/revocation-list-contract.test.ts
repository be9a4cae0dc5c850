// One contract, run against the memory, SQLite (embedded) and Redis revocation lists: the same semantics for one
// instance or many; and the embedded one keeps its revocations when the process goes.
import t, { type Test } from 'tap';
import type { VerifiedToken } from '../../src/auth/claims.js';
import type { RevocationList } from '../../src/auth/revocation-list.js';
import { SqliteRevocationList } from '../../src/stores/sqlite/sqlite-revocation-list.js';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { stateFile } from '../helpers/state-file.js';
import { forEachStoreFamily } from '../helpers/store-families.js';

const T0 = 1_800_000_000; // seconds

function tok(subject: string, options: { jti?: string; iat?: number } = {}): VerifiedToken {
  return { identity: { subject, roles: [], tenant: undefined, scopes: [] }, jti: options.jti, iat: 'iat' in options ? options.iat : T0, exp: T0 + 3600 };
}

async function contract(t: Test, open: (now: () => number) => Promise<RevocationList>): Promise<void> {
  let nowMs = T0 * 1000;
  const list = await open(() => nowMs);
  t.teardown(() => list.close());
  t.equal(list.isCurrent(), true);

  await list.revokeToken({ jti: 'j1', exp: T0 + 60 });
  t.equal(list.isRevoked(tok('alice', { jti: 'j1' })), true, 'a revoked jti is revoked');
  t.equal(list.isRevoked(tok('alice', { jti: 'j2' })), false, 'another jti is not');
  nowMs = (T0 + 61) * 1000;
  t.equal(list.isRevoked(tok('alice', { jti: 'j1' })), false, 'the entry ends with the token\u2019s own exp');

  await list.revokeSubject({ subject: 'bob', before: T0 + 100 });
  t.equal(list.isRevoked(tok('bob', { iat: T0 + 99 })), true, 'tokens issued before the moment are revoked');
  t.equal(list.isRevoked(tok('bob', { iat: T0 + 100 })), true, 'a token of the revocation\u2019s own second is revoked too (iat has one-second resolution)');
  t.equal(list.isRevoked(tok('bob', { iat: T0 + 101 })), false, 'tokens issued after that second are not');
  t.equal(list.isRevoked(tok('bob', { iat: undefined })), true, 'a token without iat cannot prove it is newer');
  await list.revokeSubject({ subject: 'bob', before: T0 + 50 });
  t.equal(list.isRevoked(tok('bob', { iat: T0 + 99 })), true, 'revoking again never moves the moment back');

  for (const name of ['constructor', '__proto__', 'toString']) {
    t.equal(list.isRevoked(tok(name)), false, `${name} is a plain name`);
    await list.revokeSubject({ subject: name, before: T0 + 100 });
    t.equal(list.isRevoked(tok(name)), true);
  }
  const snapshot = await list.snapshot();
  t.same(snapshot.subjects.map((s) => s.subject).sort(), ['__proto__', 'bob', 'constructor', 'toString']);
  t.same(snapshot.subjects.find((s) => s.subject === 'bob'), { subject: 'bob', before: T0 + 100 });

  // Holders of live connections (websocket/socket-registry.ts) are told of each revocation as it enters the mirror.
  const told: unknown[] = [];
  const stop = list.onChange((change) => told.push(change));
  await list.revokeToken({ jti: 'j9', exp: T0 + 3600 });
  await list.revokeSubject({ subject: 'dora', before: T0 + 100 });
  stop();
  await list.revokeSubject({ subject: 'erin', before: T0 + 100 });
  t.same(told.filter((change) => (change as { kind: string }).kind !== 'all'), [{ kind: 'token', jti: 'j9' }, { kind: 'subject', subject: 'dora' }], 'listeners are told of each revocation, until stopped');

  t.equal(await list.restoreSubject('bob'), true);
  t.equal(list.isRevoked(tok('bob', { iat: T0 })), false, 'restored');
  t.equal(await list.restoreSubject('bob'), false, 'nothing to restore twice');
}

forEachStoreFamily(t, (kind) => `the ${kind} revocation list keeps the contract`, (t, store) =>
  contract(t, async (now) => {
    const list = store.revocationList({ syncInterval: 100, now });
    await list.start();
    return list;
  }),
);

t.test('the SQLite revocation list still refuses what it revoked after the file is closed and opened again', async (t) => {
  const { path } = await stateFile(t);
  const nowMs = T0 * 1000;
  const first = SqliteStore.open(path);
  const before = new SqliteRevocationList(first, () => nowMs);
  await before.start();
  await before.revokeToken({ jti: 'kept', exp: T0 + 600 });
  await before.revokeToken({ jti: 'expired-by-then', exp: T0 + 60 });
  await before.revokeSubject({ subject: '李雷', before: T0 + 100 });
  await before.revokeSubject({ subject: 'restored', before: T0 + 100 });
  t.equal(await before.restoreSubject('restored'), true);
  await before.close();
  await first.close();

  const second = SqliteStore.open(path);
  t.teardown(() => second.close());
  const after = new SqliteRevocationList(second, () => (T0 + 120) * 1000);
  await after.start();
  t.teardown(() => after.close());
  t.equal(after.isRevoked(tok('alice', { jti: 'kept' })), true, 'a revoked jti is still revoked');
  t.equal(after.isRevoked(tok('李雷', { iat: T0 + 99 })), true, 'a revoked subject is still revoked');
  t.equal(after.isRevoked(tok('restored', { iat: T0 })), false, 'a restore is kept too');
  t.same((await after.snapshot()).tokens, [{ jti: 'kept', exp: T0 + 600 }], 'entries of expired tokens are dropped at start');
});
