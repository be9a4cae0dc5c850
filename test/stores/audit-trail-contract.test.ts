// One contract, run against the AuditTrail of every store family (test/helpers/store-families.ts): a flood of
// denials never pushes out an admin change, each kind stays within its cap, entries are bounded in size, and queries
// filter and page with a cursor (a foreign cursor is bad input, never a crash).
import t, { type Test } from 'tap';
import { isGatewayError } from '../../src/errors.js';
import { AUDIT_BOUNDS } from '../../src/observability/audit-entry-bounds.js';
import type { AuditQuery, AuditRecord, AuditTrail } from '../../src/observability/audit-trail.js';
import { RedisStore } from '../../src/stores/redis/redis-store.js';
import { SqliteAuditTrail } from '../../src/stores/sqlite/sqlite-audit-trail.js';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { stateFile } from '../helpers/state-file.js';
import { forEachStoreFamily } from '../helpers/store-families.js';

const T0 = 1_800_000_000_000;
const CAPS = { changes: 100_000, denials: 10_000 }; // the defaults
const FLOOD = 20_000;

/** Every entry `query` matches, page by page; also how many pages it took. */
async function all(trail: AuditTrail, query: Omit<AuditQuery, 'cursor'>): Promise<{ entries: AuditRecord[]; pages: number }> {
  const entries: AuditRecord[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await trail.query({ ...query, ...(cursor === undefined ? {} : { cursor }) });
    entries.push(...page.entries);
    cursor = page.next;
    pages++;
  } while (cursor !== undefined && pages < 1_000);
  return { entries, pages };
}

async function badCursor(t: Test, trail: AuditTrail, cursor: string): Promise<void> {
  try {
    await trail.query({ limit: 10, cursor });
    t.fail(`cursor ${JSON.stringify(cursor)} was accepted`);
  } catch (err) {
    t.ok(isGatewayError(err) && err.code === 'PG_ADMIN_BAD_INPUT', `cursor ${JSON.stringify(cursor).slice(0, 40)} is bad input`);
  }
}

async function contract(t: Test, trail: AuditTrail, foreignCursor: string): Promise<void> {
  await trail.record({ at: T0 + 1, actor: 'admin-token', action: 'revocation.token', target: 'stolen-1', after: { jti: 'stolen-1', exp: 1 } });
  await trail.record({ at: T0 + 2, actor: 'alice', action: 'rbac.binding.add', target: 'carol', before: { roles: [] }, after: { roles: [{ role: 'viewer' }] } });
  await trail.record({ kind: 'change', at: T0 + 3, actor: 'admin-token', action: 'config.reload', target: '/etc/permgate/gateway.config.yaml' });

  // The flood: far more denials than their ring holds, some with 8 KB paths.
  for (let i = 0; i < FLOOD; i += 1_000) {
    await Promise.all(
      Array.from({ length: 1_000 }, (_, j) =>
        trail.record({ kind: 'denial', at: T0 + 10 + i + j, actor: `user-${(i + j) % 50}`, action: 'request.denied', target: '/api/**', after: { method: 'GET', path: `/api/${'x'.repeat((i + j) % 7 === 0 ? 8_000 : 10)}`, code: 'order:read' } }),
      ),
    );
  }

  const changes = await all(trail, { kind: 'change', limit: 100 });
  t.same(changes.entries.map((e) => e.action), ['config.reload', 'rbac.binding.add', 'revocation.token'], `every admin change is still there after ${FLOOD} denials`);
  t.match(changes.entries[1], { kind: 'change', at: T0 + 2, actor: 'alice', target: 'carol', before: { roles: [] }, after: { roles: [{ role: 'viewer' }] } });

  const denials = await all(trail, { kind: 'denial', limit: 1_000 });
  t.equal(denials.entries.length, CAPS.denials, 'the denial ring holds exactly its cap');
  t.equal(denials.entries[0]!.at, T0 + 10 + FLOOD - 1, 'the newest denial first');
  t.equal(denials.entries.at(-1)!.at, T0 + 10 + FLOOD - CAPS.denials, 'the oldest kept is the cap-th newest');
  t.equal(new Set(denials.entries.map((e) => e.id)).size, denials.entries.length, 'pages never repeat an entry');

  const newest = await trail.query({ limit: 5 });
  t.same(newest.entries.map((e) => e.kind), ['denial', 'denial', 'denial', 'denial', 'denial'], 'both kinds, newest first');
  t.ok(newest.next, 'and a cursor to the older ones');
  t.same((await trail.recent(2)).map((e) => e.at), [T0 + 10 + FLOOD - 1, T0 + 10 + FLOOD - 2]);

  const long = denials.entries.find((e) => (e.after as { path: string }).path.length > 100)!;
  t.equal((long.after as { path: string }).path.length, AUDIT_BOUNDS.payloadString, 'an 8 KB path is cut to the payload string bound');
  t.ok((long.after as { path: string }).path.endsWith('…'), 'ending with …');
  t.equal(long.truncated, true, 'and the entry says it was cut');
  t.equal(denials.entries.find((e) => (e.after as { path: string }).path.length < 100)!.truncated, undefined, 'an entry within bounds is not marked');

  // Filters, alone and together, over both kinds.
  const by = async (query: Omit<AuditQuery, 'limit' | 'cursor'>): Promise<string[]> => (await all(trail, { ...query, limit: 1_000 })).entries.map((e) => `${e.actor} ${e.action} ${e.target}`);
  t.same(await by({ actor: 'alice' }), ['alice rbac.binding.add carol'], 'by actor');
  t.same(await by({ action: 'revocation.token' }), ['admin-token revocation.token stolen-1'], 'by action');
  t.same(await by({ target: 'carol' }), ['alice rbac.binding.add carol'], 'by target');
  t.same(await by({ kind: 'change', actor: 'admin-token', from: T0 + 2, to: T0 + 3 }), ['admin-token config.reload /etc/permgate/gateway.config.yaml'], 'by kind, actor and time');
  t.equal((await by({ actor: 'user-7', kind: 'denial' })).length, CAPS.denials / 50, 'a filter over the denial ring');
  t.same(await by({ actor: 'nobody' }), [], 'a filter that matches nothing ends');

  // Paging while new entries arrive: the next page goes on below the cursor, never repeats, never skips.
  const first = await trail.query({ kind: 'change', limit: 2 });
  t.equal(first.entries.length, 2);
  await trail.record({ at: T0 + 99_999, actor: 'bob', action: 'rbac.role.put', target: 'late' });
  const second = await trail.query({ kind: 'change', limit: 2, cursor: first.next! });
  t.same(second.entries.map((e) => e.action), ['revocation.token'], 'the page after the cursor, unaffected by a newer entry');
  t.equal(second.next, undefined, 'the last page says so');
  t.same((await trail.query({ kind: 'change', limit: 1, cursor: first.entries[0]!.id })).entries.map((e) => e.action), ['rbac.binding.add'], 'an entry id is a cursor too');

  // Oversized entries are bounded in every field.
  const grants = Array.from({ length: 2_000 }, (_, i) => `order:read:${i}`);
  await trail.record({ at: T0 + 100_000, actor: 'a'.repeat(5_000), action: 'rbac.role.put', target: '李'.repeat(1_000), before: { name: 'big', grants } });
  const [big] = (await trail.query({ kind: 'change', action: 'rbac.role.put', limit: 1 })).entries;
  t.equal(big!.actor.length, AUDIT_BOUNDS.field, 'actor cut');
  t.equal(big!.target.length, AUDIT_BOUNDS.field, 'target cut');
  t.match(big!.before, { truncated: true, bytes: JSON.stringify({ name: 'big', grants }).length }, 'a payload over the byte bound becomes a preview');
  t.ok(Buffer.byteLength(JSON.stringify(big)) < 6_144, `the whole entry stays small (${Buffer.byteLength(JSON.stringify(big))} bytes)`);

  for (const cursor of ['', 'garbage', '%%%', 'bTo0Mg'.repeat(30), foreignCursor, Buffer.from('m:-1').toString('base64url'), Buffer.from('s:1 OR 1=1').toString('base64url')]) {
    await badCursor(t, trail, cursor);
  }
}

// A cursor another family gives out: each must refuse the others' as bad input.
const FOREIGN_CURSOR = { memory: 's:5', sqlite: 'm:5', redis: 'm:5' } as const;

forEachStoreFamily(t, (kind) => `the ${kind} audit trail keeps the contract`, async (t, store) => {
  const trail = store.auditTrail(CAPS);
  await contract(t, trail, Buffer.from(FOREIGN_CURSOR[store.kind]).toString('base64url'));
  if (!(store instanceof RedisStore)) return;
  // Redis reads a bounded number of entries per query, and a denial stays small however long its path was.
  const nothing = await trail.query({ actor: 'nobody', limit: 10 });
  t.same(nothing.entries, [], 'a query matching nothing stops at its budget…');
  t.ok(nothing.next, '…and says where to go on');
  const denial = (await store.client.xrevrange('{permgate:audit}:denials', '+', '-', 'COUNT', 1_000)).map(([, fields]) => Buffer.byteLength(fields[1]!));
  t.ok(Math.max(...denial) < 1_024, `a denial costs under 1 KB in Redis (largest ${Math.max(...denial)} bytes)`);
});

t.test('the SQLite audit trail keeps its entries, pending denials included, when the file is closed and opened again', async (t) => {
  const { path } = await stateFile(t);
  const first = SqliteStore.open(path);
  const before = new SqliteAuditTrail(first, CAPS);
  await before.record({ at: T0, actor: 'admin-token', action: 'revocation.subject', target: 'mallory' });
  await before.record({ kind: 'denial', at: T0 + 1, actor: 'mallory', action: 'request.denied', target: '/api/**' });
  await first.close();
  const second = SqliteStore.open(path);
  t.teardown(() => second.close());
  const after = new SqliteAuditTrail(second, { changes: 100, denials: 100 });
  t.same((await after.recent(10)).map((e) => `${e.kind} ${e.actor}`), ['denial mallory', 'change admin-token']);
});

t.test('a smaller cap takes effect on the entries already kept', async (t) => {
  const { path } = await stateFile(t);
  const first = SqliteStore.open(path);
  const before = new SqliteAuditTrail(first, CAPS);
  for (let i = 0; i < 300; i++) await before.record({ kind: 'denial', at: T0 + i, actor: 'u', action: 'request.denied', target: '/x' });
  await before.record({ at: T0, actor: 'admin-token', action: 'config.reload', target: 'f' });
  await first.close();
  const second = SqliteStore.open(path);
  t.teardown(() => second.close());
  const after = new SqliteAuditTrail(second, { changes: 100, denials: 100 });
  t.equal((await all(after, { kind: 'denial', limit: 1_000 })).entries.length, 100);
  t.equal((await all(after, { kind: 'change', limit: 1_000 })).entries.length, 1, 'changes untouched');
});
