// A role created through the admin API after tokens naming it were decided (and cached) applies to them at once:
// compiled permissions are evicted by the role names tokens carry, not only by the roles that held.
import t from 'tap';
import { startGateway, type GatewayUnderTest } from '../helpers/gateway-under-test.js';
import { startPrivateRedis } from '../helpers/private-redis.js';
import { startRecordingUpstream } from '../helpers/recording-upstream.js';
import { hsAuth, token } from '../helpers/tokens.js';

const ADMIN = 'token-role-cache-admin-token-0123456789ab';

const yaml = (upstream: string, redis?: string): string => `
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0, token: ${ADMIN} }
${redis ? `store: { redis: "${redis}" }` : ''}
${hsAuth({ jwt: 'claims: { roles: roles }' })}
rbac:
  syncInterval: 100ms
  roles: { viewer: { grants: [order:read] } }
  subjects: { erin: { roles: [viewer] } }
upstreams:
  svc: { url: "${upstream}" }
routes:
  - { path: /api/**, upstream: svc, permission: order:read }
`;

const status = async (gw: GatewayUnderTest, jwt: string): Promise<number> =>
  (await fetch(`${gw.url}/api/x`, { headers: { authorization: `Bearer ${jwt}` } })).status;

async function putRole(gw: GatewayUnderTest, name: string, role: object): Promise<number> {
  const res = await fetch(`${gw.adminUrl}/admin/rbac/roles/${name}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify(role),
  });
  return res.status;
}

t.test('a role created after a token naming it was cached applies its denies to that token at once', async (t) => {
  const upstream = await startRecordingUpstream();
  const gw = await startGateway(yaml(upstream.url));
  t.teardown(async () => {
    await gw.close();
    await upstream.close();
  });
  const jwt = await token({ sub: 'erin', roles: ['contractor'] });
  t.equal(await status(gw, jwt), 200, 'contractor is no role yet: viewer (config) decides');
  t.equal(await status(gw, jwt), 200, 'answered from the compiled cache');
  t.equal(await putRole(gw, 'contractor', { grants: [], denies: ['order:read'] }), 200);
  t.equal(await status(gw, jwt), 403, 'the new role\'s deny holds for the cached token, not after the cache TTL');
  t.equal(await status(gw, await token({ sub: 'erin' })), 200, 'a token without the role is unaffected');
});

t.test('the same through another instance sharing Redis: the announced role change evicts by token role names', async (t) => {
  const redis = await startPrivateRedis();
  const upstream = await startRecordingUpstream();
  const a = await startGateway(yaml(upstream.url, redis.url));
  const b = await startGateway(yaml(upstream.url, redis.url));
  t.teardown(async () => {
    await a.close();
    await b.close();
    await upstream.close();
    await redis.close();
  });
  const jwt = await token({ sub: 'erin', roles: ['temp-staff'] });
  t.equal(await status(b, jwt), 200, 'cached on b');
  t.equal(await putRole(a, 'temp-staff', { grants: [], denies: ['order:*'] }), 200, 'created through a');
  const deadline = Date.now() + 2_000;
  let seen = 200;
  while (Date.now() < deadline && (seen = await status(b, jwt)) === 200) await new Promise((r) => setTimeout(r, 20));
  t.equal(seen, 403, 'b refuses within the propagation time, not the 5-minute cache TTL');
});
