// The least-privilege report over simulated days (issue 14, Keep privileges small): a real gateway on an injected
// clock serves real requests on day 0, day 10 and day 35; GET /admin/rbac/unused then names, per role and per subject,
// exactly the grants not used in the asked number of days, with the last day each was used, on each store (memory,
// the embedded SQLite file, a private Redis). Repeated requests of one day write each (subject, grant) once.
import t, { type Test } from 'tap';
import { gatewayWithUpstream, type GatewayUnderTest } from '../helpers/gateway-under-test.js';
import { startPrivateRedis } from '../helpers/private-redis.js';
import { stateFile } from '../helpers/state-file.js';
import { testClock, type TestClock } from '../helpers/test-clock.js';
import { runCli } from '../helpers/spawn-cli.js';
import { hsAuth, token } from '../helpers/tokens.js';

const ADMIN = 'the-privilege-admin-token-of-this-test-0123456789';
const DAY = 86_400_000;

function yaml(upstream: string, store: string): string {
  return `
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0, token: ${ADMIN} }
store: ${store}
${hsAuth({ jwt: 'maxLifetime: 1h' })}
rbac:
  usage: { flushInterval: 20ms }
  roles:
    viewer: { grants: [order:read, report:read] }
    editor: { inherits: [viewer], grants: [order:write, order:delete] }
  subjects:
    alice: { roles: [editor] }
    bob:   { roles: [viewer], grants: [channel:delete:42, { code: billing:read, tenant: acme }] }
upstreams:
  svc: { url: "${upstream}" }
routes:
  - path: /api/orders/**
    upstream: svc
    permission: { GET: order:read, POST: order:write, DELETE: order:delete }
  - { path: /api/reports, upstream: svc, methods: [GET], permission: report:read }
  - { path: "/api/channels/:channelId/delete", upstream: svc, methods: [POST], permission: "channel:delete:{channelId}" }
`;
}

interface Unused {
  role?: string;
  tenant?: string;
  pattern: string;
  lastUsed: string | null;
}
interface Report {
  days: number;
  today: string;
  from: string;
  recordingSince: string | null;
  complete: boolean;
  roles: { role: string; unused: Unused[] }[];
  subjects: { subject: string; unused: Unused[] }[];
  next: string;
}

function day(clock: TestClock, offset = 0): string {
  return new Date(clock.now() + offset * DAY).toISOString().slice(0, 10);
}

async function call(gw: GatewayUnderTest, clock: TestClock, method: string, path: string, sub: string): Promise<number> {
  const bearer = await token({ sub, scope: undefined }, { now: clock.now() });
  const res = await fetch(`${gw.url}${path}`, { method, headers: { authorization: `Bearer ${bearer}` } });
  await res.arrayBuffer();
  return res.status;
}

async function admin(gw: GatewayUnderTest, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${gw.adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

/** Waits (real time) until the recorder's flushes have written `count` (subject, grant) days in all. */
async function written(gw: GatewayUnderTest, count: number): Promise<number> {
  let seen = 0;
  for (let i = 0; i < 200; i++) {
    const text = await gw.gateway.metrics.registry.metrics();
    seen = Number(/permgate_grant_usage_records_total\{outcome="written"\} (\d+)/.exec(text)?.[1] ?? 0);
    if (seen >= count) break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return seen;
}

/**
 * Moves the clock; then waits (real time) for the shared store's next sync: a Redis-backed revocation list that last
 * synced "days ago" is not current until it syncs again (auth.revocation.syncInterval), and refuses meanwhile.
 */
async function advanceDays(gw: GatewayUnderTest, clock: TestClock, days: number): Promise<void> {
  clock.advance(days * DAY);
  for (let i = 0; i < 200 && !(gw.gateway.revocations?.isCurrent() ?? true); i++) await new Promise((resolve) => setTimeout(resolve, 25));
}

function subjectOf(report: Report, subject: string): Unused[] | undefined {
  return report.subjects.find((s) => s.subject === subject)?.unused;
}

async function proof(t: Test, store: string): Promise<GatewayUnderTest> {
  const clock = testClock({ ticking: true });
  const { gw } = await gatewayWithUpstream(t, (url) => yaml(url, store), {}, { now: clock.now });
  const day0 = day(clock);

  // Day 0. carol is bound to viewer through the admin API; alice repeats her reads (recorded once).
  t.equal((await admin(gw, 'POST', '/admin/rbac/subjects/carol/roles', { role: 'viewer' })).status, 201);
  for (let i = 0; i < 5; i++) t.equal(await call(gw, clock, 'GET', '/api/orders/1', 'alice'), 200);
  t.equal(await call(gw, clock, 'POST', '/api/orders/1', 'alice'), 200);
  t.equal(await call(gw, clock, 'GET', '/api/orders/2', 'bob'), 200);
  t.equal(await call(gw, clock, 'POST', '/api/channels/42/delete', 'bob'), 200);
  t.equal(await call(gw, clock, 'GET', '/api/orders/3', 'carol'), 200);
  t.equal(await call(gw, clock, 'DELETE', '/api/orders/1', 'bob'), 403, 'a refusal records nothing');
  t.equal(await written(gw, 5), 5, 'alice: viewer order:read, editor order:write; bob: viewer order:read, his channel:delete:42; carol: viewer order:read');

  // Day 10: alice reads again (a new day: written again), and reads a report.
  await advanceDays(gw, clock, 10);
  const day10 = day(clock);
  t.equal(await call(gw, clock, 'GET', '/api/orders/1', 'alice'), 200);
  t.equal(await call(gw, clock, 'GET', '/api/reports', 'alice'), 200);
  t.equal(await written(gw, 7), 7);

  // Day 35: nothing used in the last 30 days (days 6 to 35) except alice's order:read and report:read.
  await advanceDays(gw, clock, 25);
  const reply = await admin(gw, 'GET', '/admin/rbac/unused?days=30');
  t.equal(reply.status, 200);
  const report = reply.json as Report;
  t.match(report, { days: 30, today: day(clock), from: day(clock, -29), recordingSince: day0, complete: true, next: '0' });
  t.same(report.roles, [{ role: 'editor', unused: [{ pattern: 'order:write', lastUsed: day0 }, { pattern: 'order:delete', lastUsed: null }] }], 'viewer was used on day 10 (order:read by alice, report:read by alice)');
  t.same(subjectOf(report, 'alice'), [
    { role: 'editor', pattern: 'order:write', lastUsed: day0 },
    { role: 'editor', pattern: 'order:delete', lastUsed: null },
  ]);
  t.same(subjectOf(report, 'bob'), [
    { role: 'viewer', pattern: 'order:read', lastUsed: day0 },
    { role: 'viewer', pattern: 'report:read', lastUsed: null },
    { pattern: 'channel:delete:42', lastUsed: day0 },
    { tenant: 'acme', pattern: 'billing:read', lastUsed: null },
  ]);
  t.same(subjectOf(report, 'carol'), [
    { role: 'viewer', pattern: 'order:read', lastUsed: day0 },
    { role: 'viewer', pattern: 'report:read', lastUsed: null },
  ], 'a subject bound through the admin API is reported too');

  // 40 days reach back before recording began: the report says it is not complete; day 0's uses now count.
  const longer = (await admin(gw, 'GET', '/admin/rbac/unused?days=40')).json as Report;
  t.equal(longer.complete, false);
  t.same(longer.roles, [{ role: 'editor', unused: [{ pattern: 'order:delete', lastUsed: null }] }]);
  t.same(subjectOf(longer, 'alice'), [{ role: 'editor', pattern: 'order:delete', lastUsed: null }]);
  t.same(subjectOf(longer, 'carol'), [{ role: 'viewer', pattern: 'report:read', lastUsed: null }]);
  t.notOk(day10 === day0);
  return gw;
}

t.test('the least-privilege report after simulated days, on the memory store; permgate unused prints it', async (t) => {
  const gw = await proof(t, '{ path: memory }');
  const run = await runCli(['unused', '--admin', gw.adminUrl, '--days', '30'], { PERMGATE_ADMIN_TOKEN: ADMIN });
  t.equal(run.code, 0, run.stderr);
  const lines = run.stdout.split('\n');
  t.match(lines[0], /^grants not used in the last 30 days \(\d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}, UTC\)$/);
  t.ok(lines.includes('roles with unused grants: 1'));
  t.ok(lines.includes('subjects with unused grants: 3'));
  t.ok(lines.some((line) => /^ {4}order:delete +never used$/.test(line)), 'a role grant never used');
  t.ok(lines.some((line) => /^ {4}billing:read \(direct, tenant acme\) +never used$/.test(line)), "bob's grant in tenant acme");
  t.ok(lines.some((line) => /^ {4}channel:delete:42 \(direct\) +last used \d{4}-\d{2}-\d{2}$/.test(line)), "bob's direct grant, last used on day 0");
  const json = await runCli(['unused', '--admin', gw.adminUrl, '--days', '40', '--json'], { PERMGATE_ADMIN_TOKEN: ADMIN });
  t.match(JSON.parse(json.stdout), { days: 40, complete: false, roles: [{ role: 'editor' }] });
  const refused = await runCli(['unused', '--admin', gw.adminUrl], { PERMGATE_ADMIN_TOKEN: 'not-the-token-of-this-gateway-0123456789' });
  t.equal(refused.code, 1);
  t.match(refused.stderr, /answered 401/);
  t.equal((await runCli(['unused', '--admin', gw.adminUrl], { PERMGATE_ADMIN_TOKEN: '' })).code, 2, 'no token: a usage error');
});

t.test('the least-privilege report after simulated days, on the embedded SQLite file', async (t) => {
  const { path } = await stateFile(t);
  await proof(t, `{ path: "${path}" }`);
});

t.test('the least-privilege report after simulated days, on a private Redis', async (t) => {
  const redis = await startPrivateRedis();
  t.teardown(() => redis.close());
  await proof(t, `{ redis: "${redis.url}", commandTimeout: 2s }`);
});

t.test('bad parameters are 400 PG_ADMIN_BAD_INPUT', async (t) => {
  const clock = testClock({ ticking: true });
  const { gw } = await gatewayWithUpstream(t, (url) => yaml(url, '{ path: memory }'), {}, { now: clock.now });
  for (const query of ['days=0', 'days=401', 'days=abc', 'count=0', 'since=1', 'days=1&days=2']) {
    const reply = await admin(gw, 'GET', `/admin/rbac/unused?${query}`);
    t.equal(reply.status, 400, query);
    t.equal(reply.json.error?.code, 'PG_ADMIN_BAD_INPUT', query);
  }
  const res = await fetch(`${gw.adminUrl}/admin/rbac/unused`);
  t.equal(res.status, 401, 'the admin token is required');
});
