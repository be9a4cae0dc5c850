// The admin API answers malformed input with a coded 4xx, never a 500 or an uncoded Fastify body: a paging cursor it
// never gave out is 400, a body over 64 KiB is 413, a path that is not percent-encoded UTF-8 is 400.
import t from 'tap';
import { startGateway, type GatewayUnderTest } from '../helpers/gateway-under-test.js';
import { startPrivateRedis } from '../helpers/private-redis.js';
import { startRecordingUpstream } from '../helpers/recording-upstream.js';
import { hsAuth } from '../helpers/tokens.js';

const ADMIN = 'admin-input-admin-token-0123456789abcdef';

const yaml = (upstream: string, redis = ''): string => `
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0, token: ${ADMIN} }
store:
  redis: "${redis}"
${hsAuth()}
upstreams:
  svc: { url: "${upstream}" }
routes:
  - { path: /api/**, upstream: svc, permission: order:read }
`;

async function admin(gw: GatewayUnderTest, method: string, path: string, body?: string): Promise<{ status: number; json: Record<string, any> }> {
  const res = await fetch(`${gw.adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body,
  });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

for (const kind of ['memory', 'redis'] as const) {
  t.test(`a paging cursor the list never gave out is 400 PG_ADMIN_BAD_INPUT; the ones it gives out page through every subject (${kind} store)`, async (t) => {
    const redis = kind === 'redis' ? await startPrivateRedis() : undefined;
    const upstream = await startRecordingUpstream();
    const gw = await startGateway(yaml(upstream.url, redis?.url ?? ''));
    t.teardown(async () => {
      await gw.close();
      await upstream.close();
      await redis?.close();
    });
    for (const cursor of ['abc', '-1', '1.5', '99999999999999999999999', '%E6%9D%8E']) {
      const res = await admin(gw, 'GET', `/admin/rbac/subjects?cursor=${cursor}`);
      t.match(res, { status: 400, json: { error: { code: 'PG_ADMIN_BAD_INPUT', detail: /cursor/ } } }, `cursor=${cursor}`);
    }
    // "0" is a subject name here: a page that ends on it must not end the listing (the cursor is not the bare name).
    const names = ['0', '1', 'a', 'b', 'c', '李雷'];
    for (const name of names) t.equal((await admin(gw, 'POST', `/admin/rbac/subjects/${encodeURIComponent(name)}/grants`, JSON.stringify({ code: 'x:y' }))).status, 201);
    const seen = new Set<string>();
    let cursor = '0';
    for (let pages = 0; pages < 20; pages++) {
      const page = await admin(gw, 'GET', `/admin/rbac/subjects?count=1&cursor=${encodeURIComponent(cursor)}`);
      t.equal(page.status, 200);
      for (const name of page.json.dynamic as string[]) seen.add(name);
      cursor = page.json.cursor as string;
      if (cursor === '0') break;
    }
    t.same([...seen].sort(), [...names].sort(), 'every subject is listed');
  });
}

t.test('an admin body over 64 KiB is 413 PG_ADMIN_BODY_TOO_LARGE, with a coded body', async (t) => {
  const upstream = await startRecordingUpstream();
  const gw = await startGateway(yaml(upstream.url));
  t.teardown(async () => {
    await gw.close();
    await upstream.close();
  });
  const big = JSON.stringify({ grants: Array.from({ length: 8000 }, (_, i) => `code:${i}`) });
  t.ok(big.length > 64 * 1024);
  const res = await admin(gw, 'PUT', '/admin/rbac/roles/big', big);
  t.match(res, { status: 413, json: { error: { code: 'PG_ADMIN_BODY_TOO_LARGE', detail: /65536 bytes/ } } });
  t.equal((await admin(gw, 'GET', '/admin/rbac/roles/big')).status, 404, 'nothing was written');
  t.match(await admin(gw, 'DELETE', '/admin/revocations/subjects/%E6%9D'), { status: 400, json: { error: { code: 'PG_ADMIN_BAD_INPUT', detail: /percent-encoded UTF-8/ } } }, 'a truncated UTF-8 sequence in the path');
  t.match(await admin(gw, 'POST', '/admin/revocations', 'subject=x'), { status: 400, json: { error: { code: 'PG_ADMIN_BAD_INPUT' } } });
});
