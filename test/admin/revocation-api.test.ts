// The revocation admin API: only the admin token gets in, bad input writes nothing, and every change is audited.
import t from 'tap';
import { gatewayWithUpstream, startGateway, type GatewayUnderTest } from '../helpers/gateway-under-test.js';
import { startPrivateRedis } from '../helpers/private-redis.js';
import { startRecordingUpstream } from '../helpers/recording-upstream.js';
import { hsAuth, token } from '../helpers/tokens.js';

const ADMIN = 'the-admin-token-of-this-test-0123456789';

function yaml(upstreamUrl: string, adminToken: string, redisUrl = ''): string {
  return `
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0, token: "${adminToken}", jwt: false }
store:
  redis: "${redisUrl}"
${hsAuth()}rbac: { tokenScopes: true }
upstreams:
  svc: { url: "${upstreamUrl}" }
routes:
  - { path: /api/**, upstream: svc, permission: order:read }
`;
}

async function admin(gw: GatewayUnderTest, method: string, path: string, body?: unknown, auth = ADMIN): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${gw.adminUrl}${path}`, {
    method,
    headers: { ...(auth ? { authorization: `Bearer ${auth}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const code = (r: { json: Record<string, unknown> }): unknown => (r.json.error as { code?: string } | undefined)?.code;

t.test('only the admin token gets in; an empty admin token (and no JWT admins) turns the API off', async (t) => {
  const upstream = await startRecordingUpstream();
  const gw = await startGateway(yaml(upstream.url, ADMIN));
  const off = await startGateway(yaml(upstream.url, ''));
  t.teardown(async () => {
    await gw.close();
    await off.close();
    await upstream.close();
  });
  t.equal(code(await admin(gw, 'GET', '/admin/revocations', undefined, '')), 'PG_ADMIN_UNAUTHORIZED');
  t.equal(code(await admin(gw, 'GET', '/admin/revocations', undefined, 'wrong')), 'PG_ADMIN_UNAUTHORIZED');
  t.equal((await admin(gw, 'GET', '/admin/revocations', undefined, 'wrong')).status, 401);
  const disabled = await admin(off, 'POST', '/admin/revocations', { subject: 'x' }, '');
  t.equal(disabled.status, 503);
  t.equal(code(disabled), 'PG_ADMIN_DISABLED');
  t.equal(code(await admin(off, 'GET', '/admin/audit', undefined, 'anything')), 'PG_ADMIN_DISABLED');
});

t.test('bad input is a 400 with a clear detail and writes nothing', async (t) => {
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => yaml(url, ADMIN));
  for (const body of [{ jti: 'a', subject: 'b' }, {}, { jti: 'a', extra: 1 }, { jti: 5 }, { jti: 'has space' }, { jti: 'a', exp: 1.5 }, { subject: '' }, { subject: 'x', before: 'yesterday' }, [1], '{not json']) {
    const res = await admin(gw, 'POST', '/admin/revocations', body);
    t.equal(res.status, 400, JSON.stringify(body));
    t.equal(code(res), 'PG_ADMIN_BAD_INPUT');
    t.ok((res.json.error as { detail?: string }).detail, 'says what is wrong');
  }
  t.same((await admin(gw, 'GET', '/admin/revocations')).json, { version: 0, tokens: [], subjects: [] }, 'nothing was written');
  t.same((await admin(gw, 'GET', '/admin/audit')).json, { entries: [] });
});

for (const kind of ['memory', 'redis'] as const) {
  t.test(`revoke, inspect, restore and audit (${kind} store)`, async (t) => {
    const redis = kind === 'redis' ? await startPrivateRedis() : undefined;
    const upstream = await startRecordingUpstream();
    const gw = await startGateway(yaml(upstream.url, ADMIN, redis?.url ?? ''));
    t.teardown(async () => {
      await gw.close();
      await upstream.close();
      await redis?.close();
    });
    const byJti = await token({ sub: 'alice', jti: 'jti-77' });
    const bySubject = await token({ sub: 'bob' });
    const call = async (jwt: string): Promise<number> => (await fetch(`${gw.url}/api/x`, { headers: { authorization: `Bearer ${jwt}` } })).status;
    t.equal(await call(byJti), 200);

    const one = await admin(gw, 'POST', '/admin/revocations', { jti: 'jti-77', exp: Math.floor(Date.now() / 1000) + 600 });
    t.equal(one.status, 201);
    t.match(one.json, { revoked: { kind: 'token', jti: 'jti-77' } });
    t.equal(await call(byJti), 401);
    t.equal((await admin(gw, 'POST', '/admin/revocations', { subject: 'bob' })).status, 201);
    t.equal(await call(bySubject), 401);

    const listed = (await admin(gw, 'GET', '/admin/revocations')).json as { tokens: { jti: string }[]; subjects: { subject: string }[] };
    t.same(listed.tokens.map((x) => x.jti), ['jti-77']);
    t.same(listed.subjects.map((x) => x.subject), ['bob']);
    t.same(((await admin(gw, 'GET', '/admin/revocations?subject=nobody')).json as { subjects: unknown[] }).subjects, []);

    t.equal((await admin(gw, 'DELETE', '/admin/revocations/subjects/bob')).status, 200);
    t.equal(await call(bySubject), 200, 'restored');
    const again = await admin(gw, 'DELETE', '/admin/revocations/subjects/bob');
    t.equal(again.status, 404);
    t.equal(code(again), 'PG_ADMIN_NOT_FOUND');

    const audit = await admin(gw, 'GET', '/admin/audit?limit=10');
    const entries = audit.json.entries as { actor: string; action: string; target: string; at: number }[];
    t.same(entries.map((e) => [e.action, e.target]), [
      ['revocation.subject.restore', 'bob'],
      ['revocation.subject', 'bob'],
      ['revocation.token', 'jti-77'],
    ], 'newest first');
    t.ok(entries.every((e) => e.actor === 'admin-token' && typeof e.at === 'number'));
    const text = JSON.stringify(audit.json);
    t.notOk(text.includes(ADMIN) || text.includes(byJti.split('.')[2]!), 'no credential in the audit trail');
  });
}
