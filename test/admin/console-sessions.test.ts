// The console's session table with an injected clock: a session ends after 15 minutes without use, 8 hours after
// login whatever the use, at the expiry of the JWT it was opened with, or when ended; the table keeps only digests.
import t from 'tap';
import { ConsoleSessions, IDLE_MS, MAX_MS } from '../../src/admin/console/console-sessions.js';

const actor = { kind: 'admin-token', name: 'admin-token:x' } as const;
const credential = { kind: 'admin-token', digest: Buffer.alloc(32) } as const;

t.test('a session ends after 15 minutes without use, and each use restarts that clock', async (t) => {
  let now = 1_000_000;
  const sessions = new ConsoleSessions(() => now);
  const { id } = sessions.open(actor, credential);
  now += IDLE_MS - 1;
  t.ok(sessions.find(id), 'used just before the idle limit');
  now += IDLE_MS - 1;
  t.ok(sessions.find(id), 'the use restarted the clock');
  now += IDLE_MS;
  t.equal(sessions.find(id), undefined, 'idle too long');
  t.equal(sessions.size, 0, 'and it is gone');
});

t.test('no session lives longer than 8 hours, however often it is used', async (t) => {
  let now = 0;
  const sessions = new ConsoleSessions(() => now);
  const { id } = sessions.open(actor, credential);
  while (now < MAX_MS - IDLE_MS) {
    now += IDLE_MS / 2;
    t.ok(sessions.find(id));
  }
  now = MAX_MS;
  t.equal(sessions.find(id), undefined);
});

t.test('a session opened with a JWT ends when the JWT expires', async (t) => {
  let now = 0;
  const sessions = new ConsoleSessions(() => now);
  const { id, session } = sessions.open({ kind: 'person', name: 'jane', subject: 'jane', tokenRoles: [] }, { kind: 'jwt', token: 'a.b.c' }, 60_000);
  t.equal(session.endsAt, 60_000);
  now = 59_999;
  t.ok(sessions.find(id));
  now = 60_000;
  t.equal(sessions.find(id), undefined);
});

t.test('ids are 256 random bits, unknown ids find nothing, end() and clear() end sessions', async (t) => {
  const sessions = new ConsoleSessions(() => 0);
  const a = sessions.open(actor, credential);
  const b = sessions.open(actor, credential);
  t.match(a.id, /^[A-Za-z0-9_-]{43}$/);
  t.not(a.id, b.id);
  t.not(a.session.csrf, b.session.csrf);
  t.equal(sessions.find('made-up'), undefined);
  t.equal(sessions.find(undefined), undefined);
  sessions.end(a.id);
  t.equal(sessions.find(a.id), undefined);
  t.ok(sessions.find(b.id));
  sessions.clear();
  t.equal(sessions.find(b.id), undefined);
});
