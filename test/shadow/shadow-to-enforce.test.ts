// Issue 14, done when: a route runs in shadow, then a reload enforces it, and the same request sequence is replayed.
// The shadow report (GET /admin/shadow/refusals) predicted exactly the refusals enforcement then made, per route,
// code, missing permission and subject — authentication, rate-limit and authorization refusals alike — on the memory
// store and on a real Redis. While in shadow, every request reached the upstream and no budget was spent.
import { Redis } from 'ioredis';
import t, { type Test } from 'tap';
import { parseConfig } from '../../src/config/load.js';
import { startGateway, type GatewayUnderTest } from '../helpers/gateway-under-test.js';
import { startPrivateRedis } from '../helpers/private-redis.js';
import { startRecordingUpstream } from '../helpers/recording-upstream.js';
import { testClock } from '../helpers/test-clock.js';
import { hsAuth, token } from '../helpers/tokens.js';

const ADMIN = 'the-shadow-admin-token-of-this-test-0123456789';

function yaml(upstream: string, store: string, shadow: string): string {
  return `
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0, token: ${ADMIN} }
${store}
${hsAuth()}
rbac:
  exposeMissingCode: true
  roles:
    viewer: { grants: [order:read] }
    clerk: { grants: [order:read, "order:delete:*"] }
  subjects:
    alice: { roles: [viewer] }
    carol: { roles: [viewer] }
    dave: { roles: [clerk] }
upstreams:
  svc: { url: "${upstream}" }
routes:
  - path: /api/orders/:id
    upstream: svc
    permission: { GET: order:read, DELETE: "order:delete:{id}" }
    rateLimit: { user+route: 3/hour }
    shadow: ${shadow}
  - path: /api/health
    upstream: svc
    auth: none
`;
}

interface Call {
  readonly method: string;
  readonly path: string;
  /** The caller's subject, `anonymous` for no token, `forged` for a token with a bad signature. */
  readonly who: string;
}

/** Interleaved: rate limits spent and refused, permissions missing, no token, a forged one, a public route. */
const SEQUENCE: readonly Call[] = [
  ...['alice', 'bob', 'anonymous', 'alice', 'forged', 'alice', 'carol', 'alice', 'alice'].map((who) => ({ method: 'GET', path: '/api/orders/7', who })),
  ...['alice', 'carol', 'carol', 'dave', 'carol', 'carol', 'dave', 'anonymous'].map((who) => ({ method: 'DELETE', path: '/api/orders/9', who })),
  { method: 'DELETE', path: '/api/orders/10', who: 'dave' },
  { method: 'GET', path: '/api/health', who: 'anonymous' },
];

type Tally = Record<string, number>;
const keyOf = (route: string, code: string, permission: string | null, subject: string | null): string => `${route} ${code} ${permission ?? '-'} ${subject ?? '(nobody)'}`;

async function replay(gw: GatewayUnderTest, tokens: Map<string, string>): Promise<{ statuses: number[]; refusals: Tally }> {
  const statuses: number[] = [];
  const refusals: Tally = {};
  for (const call of SEQUENCE) {
    const bearer = tokens.get(call.who);
    const res = await fetch(`${gw.url}${call.path}`, { method: call.method, headers: bearer === undefined ? {} : { authorization: `Bearer ${bearer}` } });
    statuses.push(res.status);
    const body = (await res.json().catch(() => ({}))) as { error?: { code: string; detail?: string } };
    if (res.status < 400) continue;
    // Who enforcement refused: the verified subject (a 403 or 429 comes after authentication), or nobody (a 401).
    const subject = res.status === 401 ? null : call.who;
    const permission = body.error?.detail?.match(/^missing permission (.+)$/)?.[1] ?? null;
    const key = keyOf('/api/orders/:id', body.error!.code, permission, subject);
    refusals[key] = (refusals[key] ?? 0) + 1;
  }
  return { statuses, refusals };
}

async function shadowReport(gw: GatewayUnderTest, since: number): Promise<{ tally: Tally; body: any }> {
  const res = await fetch(`${gw.adminUrl}/admin/shadow/refusals?since=${new Date(since).toISOString()}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  const body = (await res.json()) as any;
  const tally: Tally = {};
  for (const entry of body.refusals) tally[keyOf(entry.route, entry.code, entry.permission, entry.subject)] = entry.count;
  return { tally, body };
}

async function ready(gw: GatewayUnderTest): Promise<boolean> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 50))) {
    if ((await fetch(`${gw.adminUrl}/readyz`)).status === 200) return true;
  }
  return false;
}

for (const kind of ['memory', 'redis'] as const) {
  t.test(`on the ${kind} store: the shadow report predicted exactly the refusals enforcement made`, async (t: Test) => {
    const redis = kind === 'redis' ? await startPrivateRedis() : undefined;
    const upstream = await startRecordingUpstream();
    const store = redis ? `store:\n  redis: "${redis.url}"` : '';
    const clock = testClock();
    t.teardown(async () => {
      await upstream.close();
      await redis?.close();
    });
    const gw = await startGateway(yaml(upstream.url, store, 'true'), {}, { now: clock.now });
    t.teardown(() => gw.close());
    const tokens = new Map<string, string>();
    for (const who of ['alice', 'bob', 'carol', 'dave']) tokens.set(who, await token({ sub: who }, { now: clock.now() }));
    tokens.set('forged', (await token({ sub: 'alice' }, { now: clock.now() })).replace(/.{8}$/, 'AAAAAAAA'));

    const since = clock.now();
    const shadowed = await replay(gw, tokens);
    t.ok(shadowed.statuses.every((status) => status === 200), 'in shadow, every request was answered by the upstream');
    t.equal(upstream.requests.length, SEQUENCE.length, 'and every one reached it');
    const predicted = await shadowReport(gw, since);
    t.equal(predicted.body.complete, true, 'nothing was dropped from the report');
    t.same(predicted.body.shadowed, [{ route: '/api/orders/:id', stages: ['authenticate', 'rate-limit', 'authorize'] }], 'the report names what is shadowed now');
    if (redis) {
      const raw = new Redis(redis.url);
      const keys = await raw.keys('*');
      raw.disconnect();
      // Besides the audit stream (each would-be refusal is audited as request.shadow-refused), only shadow buckets.
      const buckets = keys.filter((key) => key !== '{permgate:audit}:denials');
      t.ok(buckets.length > 0 && buckets.every((key) => key.includes(':s|')), 'on Redis, only shadow buckets were written: no real budget was spent', { keys });
    }

    clock.advance(60 * 60_000);
    // The jump ages the store's last sync by an hour too: wait for the next sync, as after any clock step.
    t.ok(await ready(gw), 'ready again after the clock moved');
    const enforceFrom = clock.now();
    await gw.gateway.reload({ next: parseConfig(yaml(upstream.url, store, 'false'), 'test.yaml', {}) });
    for (const who of ['alice', 'bob', 'carol', 'dave']) tokens.set(who, await token({ sub: who }, { now: clock.now() }));
    tokens.set('forged', (await token({ sub: 'alice' }, { now: clock.now() })).replace(/.{8}$/, 'AAAAAAAA'));
    const enforced = await replay(gw, tokens);

    t.same(predicted.tally, enforced.refusals, 'the same refusals, per route, code, missing permission and subject');
    const refused = enforced.statuses.filter((status) => status >= 400).length;
    t.equal(predicted.body.total, refused, `the report's total is the number enforcement refused (${refused})`);
    t.ok(Object.keys(enforced.refusals).some((key) => key.includes('PG_RATE_LIMITED')), 'rate limits were among them');
    t.ok(Object.keys(enforced.refusals).some((key) => key.includes('PG_FORBIDDEN order:delete:9 carol')), 'and a missing permission, with its code');
    t.ok(Object.keys(enforced.refusals).some((key) => key.includes('PG_TOKEN_MISSING')), 'and a request with no token');
    t.equal(upstream.requests.length, SEQUENCE.length + (SEQUENCE.length - refused), 'enforced, only the allowed requests reached the upstream');
    t.same((await shadowReport(gw, enforceFrom)).body.refusals, [], 'once enforced, nothing more is recorded as shadow');
  });
}
