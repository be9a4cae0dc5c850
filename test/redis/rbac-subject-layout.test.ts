// Issue 12: the RBAC subject layout that spreads over a cluster keeps the feed's promises. A subject write spans two
// slots (its own key, then the announcement), so a writer that stops between them leaves an intent, and the sweep
// of any instance announces it: nobody keeps the old record. Subjects an older permgate stored in one hash are moved
// to their own keys at start, readable and listed.
import { Redis } from 'ioredis';
import t from 'tap';
import { isGatewayError } from '../../src/errors.js';
import type { SubjectRecord } from '../../src/rbac/model.js';
import type { RbacChange } from '../../src/rbac/rbac-store.js';
import { subjectKey } from '../../src/stores/redis/redis-rbac-store.js';
import { privateRedisStore } from '../helpers/store-families.js';

const viewer = JSON.stringify({ roles: [{ role: 'viewer' }], grants: [], denies: [] });

t.test('a write whose writer stopped after its compare-and-set, before announcing, is announced by the sweep', async (t) => {
  const store = await privateRedisStore(t);
  const rbac = store.rbacStore({ syncInterval: 100, now: Date.now });
  const changes: RbacChange[] = [];
  await rbac.start((change) => changes.push(change));
  t.teardown(() => rbac.close());
  const raw = store.adminClient as Redis;
  // What a writer leaves when it dies between steps 2 and 3: its intent (begun 10 s ago) and the new record.
  await raw.eval(`redis.call('ZADD', KEYS[1], redis.call('TIME')[1] - 10, ARGV[1])`, 1, '{permgate:rbac}:intents', 'an-id nora');
  await raw.set(subjectKey('nora'), viewer);
  const started = Date.now();
  while (!changes.some((c) => c.kind === 'subject' && c.name === 'nora')) {
    if (Date.now() - started > 3_000) throw new Error('the write was never announced');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  t.ok(Date.now() - started <= 1_500, `announced after ${Date.now() - started} ms (the sweep runs every second)`);
  t.equal(await raw.zcard('{permgate:rbac}:intents'), 0, 'the intent is gone');
  t.same((await rbac.listSubjects('0', 10)).subjects, ['nora'], 'and the subject is listed');
});

t.test('a write whose announcement fails is reported as failed, and the sweep announces it once Redis takes announcements again', async (t) => {
  const store = await privateRedisStore(t);
  const rbac = store.rbacStore({ syncInterval: 100, now: Date.now });
  const changes: RbacChange[] = [];
  await rbac.start((change) => changes.push(change));
  t.teardown(() => rbac.close());
  const raw = store.adminClient as Redis;
  // A version that INCR refuses: the announcement script fails after the compare-and-set has written the record.
  await raw.set('{permgate:rbac}:version', 'not a number');
  try {
    await rbac.writeSubject('pia', '', JSON.parse(viewer) as SubjectRecord);
    t.fail('the write was reported as done');
  } catch (err) {
    t.ok(isGatewayError(err) && err.code === 'PG_STORE_UNAVAILABLE', 'reported as failed: 503, retry');
  }
  t.equal(await raw.get(subjectKey('pia')), viewer, 'the record was written');
  t.equal(await raw.zcard('{permgate:rbac}:intents'), 1, 'and its intent stays');
  await raw.set('{permgate:rbac}:version', '0');
  const started = Date.now();
  while (!changes.some((c) => c.kind === 'subject' && c.name === 'pia')) {
    if (Date.now() - started > 8_000) throw new Error('the write was never announced');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  t.pass(`announced by the sweep ${Date.now() - started} ms after announcements work again (intents wait 5 s)`);
});

t.test('an intent younger than a writer may still be at work is left to its writer', async (t) => {
  const store = await privateRedisStore(t);
  const rbac = store.rbacStore({ syncInterval: 100, now: Date.now });
  const changes: RbacChange[] = [];
  await rbac.start((change) => changes.push(change));
  t.teardown(() => rbac.close());
  const raw = store.adminClient as Redis;
  await raw.eval(`redis.call('ZADD', KEYS[1], redis.call('TIME')[1], ARGV[1])`, 1, '{permgate:rbac}:intents', 'an-id olga');
  await new Promise((resolve) => setTimeout(resolve, 2_200));
  t.same(changes.filter((c) => c.kind === 'subject'), [], 'not announced yet');
  t.equal(await raw.zcard('{permgate:rbac}:intents'), 1);
});

t.test('subjects stored in the one hash of older versions are moved to their own keys at start, read and listed', async (t) => {
  const store = await privateRedisStore(t);
  const raw = store.adminClient as Redis;
  await raw.hset('{permgate:rbac}:subjects', 'ada', viewer, 'bob', viewer);
  await raw.set(subjectKey('bob'), JSON.stringify({ roles: [], grants: [], denies: [] })); // written since, by this layout
  const rbac = store.rbacStore({ syncInterval: 100, now: Date.now });
  await rbac.start(() => {});
  t.teardown(() => rbac.close());
  t.same((await rbac.loadSubject('ada')).value, JSON.parse(viewer), 'a moved subject reads as stored');
  t.same((await rbac.loadSubject('bob')).value, { roles: [], grants: [], denies: [] }, 'a key written since wins over the old hash');
  t.same((await rbac.listSubjects('0', 10)).subjects.sort(), ['ada', 'bob']);
  t.equal(await raw.exists('{permgate:rbac}:subjects'), 0, 'the old hash is gone');
});
