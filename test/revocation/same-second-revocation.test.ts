// A subject revoked at moment T loses every token whose iat is T's second or earlier: iat has one-second
// resolution, so a token of T's second may have been issued before the revocation. One issued after it in the
// same second is refused too (when in doubt, deny); from the next second on, tokens pass.
import t from 'tap';
import { startGateway } from '../helpers/gateway-under-test.js';
import { startPrivateRedis } from '../helpers/private-redis.js';
import { startRecordingUpstream } from '../helpers/recording-upstream.js';
import { hsAuth, token } from '../helpers/tokens.js';

const ADMIN = 'same-second-admin-token-0123456789abcdef';
const T = 1_900_000_000; // the revocation's second

for (const kind of ['memory', 'redis'] as const) {
  t.test(`a revocation at T refuses tokens issued earlier in T's second, and later in it, but not in the next (${kind} store)`, async (t) => {
    const redis = kind === 'redis' ? await startPrivateRedis() : undefined;
    const upstream = await startRecordingUpstream();
    // The injected clock also times the Redis mirror's freshness: syncInterval 2s keeps it current across the jumps.
    let nowMs = T * 1000 + 200;
    const gw = await startGateway(`
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0, token: ${ADMIN} }
${redis ? `store: { redis: "${redis.url}" }` : ''}
${hsAuth({ revocation: '{ syncInterval: 2s }' })}
rbac: { tokenScopes: true }
upstreams:
  svc: { url: "${upstream.url}" }
routes:
  - { path: /api/**, upstream: svc, permission: order:read }
`, {}, { now: () => nowMs });
    t.teardown(async () => {
      await gw.close();
      await upstream.close();
      await redis?.close();
    });
    const status = async (jwt: string): Promise<number> => (await fetch(`${gw.url}/api/x`, { headers: { authorization: `Bearer ${jwt}` } })).status;
    const revoke = async (body: object): Promise<void> => {
      const res = await fetch(`${gw.adminUrl}/admin/revocations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      t.equal(res.status, 201, 'revoked');
    };
    const earlier = await token({ sub: 'mallory' }, { now: T * 1000 + 200 });
    const lastSecond = await token({ sub: 'mallory' }, { now: (T - 1) * 1000 });
    t.equal(await status(earlier), 200, 'valid before the revocation (and now cached)');

    nowMs = T * 1000 + 500;
    await revoke({ subject: 'mallory' });
    t.equal(await status(earlier), 401, "a token issued earlier in the revocation's own second is refused");
    t.equal(await status(lastSecond), 401, 'one of the second before, too');
    nowMs = T * 1000 + 900;
    t.equal(await status(await token({ sub: 'mallory' }, { now: T * 1000 + 900 })), 401, 'one issued after the revocation in the same second: refused (cannot be told apart)');
    nowMs = (T + 1) * 1000 + 10;
    t.equal(await status(await token({ sub: 'mallory' }, { now: nowMs })), 200, 'the next second: a new login passes');

    // An explicit moment: `before: T` covers the tokens of T's second.
    await revoke({ subject: 'trent', before: T + 1 });
    t.equal(await status(await token({ sub: 'trent' }, { now: (T + 1) * 1000 + 1 })), 401, 'iat equal to an explicit before is revoked');
    t.equal(upstream.requests.length, 2, 'only the two accepted requests reached the upstream');
  });
}
