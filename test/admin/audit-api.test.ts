// GET /admin/audit over the real admin API, on each store (memory, the embedded SQLite file, a private Redis): admin
// changes stay readable through a flood of denials (recorded straight into the trail, and a few through the real data
// plane); filters by kind, actor, action, target and time; paging with `next`; and every bad parameter, a foreign
// cursor included, is a 400 PG_ADMIN_BAD_INPUT, never a 500.
import t, { type Test } from 'tap';
import { AUDIT_BOUNDS } from '../../src/observability/audit-entry-bounds.js';
import { gatewayWithUpstream, type GatewayUnderTest } from '../helpers/gateway-under-test.js';
import { startPrivateRedis } from '../helpers/private-redis.js';
import { stateFile } from '../helpers/state-file.js';
import { hsAuth, token } from '../helpers/tokens.js';

const ADMIN = 'the-audit-admin-token-of-this-test-0123456789';
const FLOOD = 12_000; // more than the denial ring holds (10,000); the trail contract floods 20,000

function yaml(upstream: string, store: string): string {
  return `
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0, token: ${ADMIN} }
store: ${store}
${hsAuth()}
rbac:
  auditDenials: 1000
  roles:
    viewer: { grants: [order:read] }
upstreams:
  svc: { url: "${upstream}" }
routes:
  - { path: /api/orders/**, upstream: svc, permission: order:read }
`;
}

type Entry = { id: string; kind: string; at: number; actor: string; action: string; target: string; after?: any; truncated?: true };
type Reply = { status: number; json: { entries: Entry[]; next?: string; error?: { code: string; detail?: string } } };

async function admin(gw: GatewayUnderTest, method: string, path: string, body?: unknown): Promise<Reply> {
  const res = await fetch(`${gw.adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Reply['json'] };
}

/** Every entry of a query, following `next` page by page through the API. */
async function pages(gw: GatewayUnderTest, query: string): Promise<{ entries: Entry[]; pages: number }> {
  const entries: Entry[] = [];
  let next: string | undefined;
  let count = 0;
  do {
    const reply = await admin(gw, 'GET', `/admin/audit?${query}${next === undefined ? '' : `&cursor=${encodeURIComponent(next)}`}`);
    if (reply.status !== 200) throw new Error(`${reply.status} ${JSON.stringify(reply.json)}`);
    entries.push(...reply.json.entries);
    next = reply.json.next;
  } while (next !== undefined && ++count < 200);
  return { entries, pages: count + 1 };
}

async function proof(t: Test, store: string): Promise<void> {
  const { gw } = await gatewayWithUpstream(t, (url) => yaml(url, store));
  const started = Date.now();

  // Admin changes through the admin API.
  t.equal((await admin(gw, 'POST', '/admin/revocations', { subject: 'eve' })).status, 201);
  t.equal((await admin(gw, 'POST', '/admin/rbac/subjects/carol/roles', { role: 'viewer' })).status, 201);
  t.equal((await admin(gw, 'POST', '/admin/revocations', { jti: 'stolen-1' })).status, 201);

  // The flood, straight into the trail, then a few denials through the real data plane (one with a long path).
  for (let i = 0; i < FLOOD; i += 1_000) {
    await Promise.all(Array.from({ length: 1_000 }, (_, j) => gw.gateway.audit.record({ kind: 'denial', at: Date.now(), actor: `bot-${(i + j) % 100}`, action: 'request.denied', target: '/api/orders/**', after: { path: `/api/orders/${i + j}` } })));
  }
  const mallory = { authorization: `Bearer ${await token({ sub: 'mallory', scope: undefined })}` };
  for (const path of ['/api/orders/1', '/api/orders/2', `/api/orders/${'x'.repeat(1_500)}`]) {
    t.equal((await fetch(`${gw.url}${path}`, { headers: mallory })).status, 403);
  }

  const changes = await pages(gw, 'kind=change&limit=2');
  t.same(
    changes.entries.map((e) => `${e.action} ${e.target}`),
    ['revocation.token stolen-1', 'rbac.binding.add carol', 'revocation.subject eve'],
    `every admin change is readable after ${FLOOD} denials, paged two at a time`,
  );
  t.equal(changes.pages, 2);
  t.ok(changes.entries.every((e) => e.kind === 'change' && e.actor === 'admin-token'));

  // The real denials arrive without being awaited by the 403: wait until they are readable.
  let real: Entry[] = [];
  for (let tries = 0; tries < 100 && real.length < 3; tries++) {
    real = (await pages(gw, 'kind=denial&actor=mallory')).entries;
    if (real.length < 3) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  t.equal(real.length, 3, 'the data plane\'s denials are in the trail');
  t.match(real[0], { kind: 'denial', action: 'request.denied', target: '/api/orders/**', truncated: true }, 'the long path marked as cut…');
  t.equal(real[0]!.after.path.length, AUDIT_BOUNDS.payloadString, '…to its bound');

  t.same((await pages(gw, 'action=revocation.subject')).entries.map((e) => e.target), ['eve'], 'filter by action');
  t.same((await pages(gw, 'target=carol')).entries.map((e) => e.action), ['rbac.binding.add'], 'filter by target');
  t.same((await pages(gw, `actor=admin-token&from=${new Date(started - 1_000).toISOString()}&to=${Date.now()}`)).entries.length, 3, 'filter by actor and time (ISO and milliseconds)');
  t.same((await pages(gw, `kind=change&to=${started - 60_000}`)).entries, [], 'nothing before the test began');
  const newest = await admin(gw, 'GET', '/admin/audit?limit=1');
  t.equal(newest.json.entries[0]!.actor, 'mallory', 'both kinds, newest first');

  for (const query of [
    'cursor=not-a-cursor', `cursor=${Buffer.from('x:1').toString('base64url')}`, 'limit=0', 'limit=1001', 'limit=ten', 'kind=denials',
    'from=yesterday', 'to=2026-13-01T00:00:00Z', `from=${Date.now()}&to=${Date.now() - 1}`, 'actor=a&actor=b', 'subject=carol', 'actor=',
  ]) {
    const reply = await admin(gw, 'GET', `/admin/audit?${query}`);
    t.equal(reply.status, 400, query);
    t.equal(reply.json.error?.code, 'PG_ADMIN_BAD_INPUT', `${query}: ${reply.json.error?.detail}`);
  }
  t.equal((await fetch(`${gw.adminUrl}/admin/audit`)).status, 401, 'the audit is for admins only');
}

t.test('the audit API on the memory store', (t) => proof(t, '{ path: memory }'));

t.test('the audit API on the embedded SQLite store', async (t) => {
  const { path } = await stateFile(t);
  await proof(t, `{ path: "${path}" }`);
});

t.test('the audit API on a private Redis', async (t) => {
  const redis = await startPrivateRedis();
  t.teardown(() => redis.close());
  // The flood sends 1,000 commands at once: more than the 50 ms request-path timeout is made for.
  await proof(t, `{ redis: "${redis.url}", commandTimeout: 2s }`);
});
