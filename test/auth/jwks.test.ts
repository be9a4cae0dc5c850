// Keys from a JWKS served by a local key server: rotation works, random kids cannot hammer the key server, and a
// key server that is down does not stop tokens signed with keys already known.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, type JWK } from 'jose';
import t from 'tap';
import { startGateway } from '../helpers/gateway-under-test.js';
import { startRecordingUpstream } from '../helpers/recording-upstream.js';
import { AUDIENCE, ISSUER, keyPair, token, type KeyPair } from '../helpers/tokens.js';

interface KeyServer {
  url: string;
  hits: number;
  keys: JWK[];
  failing: boolean;
  close(): Promise<void>;
}

async function startKeyServer(): Promise<KeyServer> {
  const state = { hits: 0, keys: [] as JWK[], failing: false };
  const server: Server = createServer((_req, res) => {
    state.hits++;
    if (state.failing) return void res.writeHead(500).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/jwks.json`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

async function jwk(pair: KeyPair, kid: string): Promise<JWK> {
  return { ...(await exportJWK(pair.publicKey)), kid, alg: 'RS256', use: 'sig' };
}

t.test('rotation, cooldown on unknown kids, and keys kept while the key server is down', async (t) => {
  const first = keyPair('rsa');
  const second = keyPair('rsa');
  const keys = await startKeyServer();
  keys.keys = [await jwk(first, 'k1')];
  const upstream = await startRecordingUpstream();
  const gw = await startGateway(`
auth:
  jwt:
    algorithms: [RS256]
    issuer: ${ISSUER}
    audience: ${AUDIENCE}
    jwksUri: "${keys.url}"
    jwksCooldown: 1s
    jwksTimeout: 1s
rbac: { tokenScopes: true }
upstreams:
  svc: { url: "${upstream.url}" }
routes:
  - { path: /api/**, upstream: svc, permission: order:read }
`);
  t.teardown(async () => {
    await gw.close();
    await upstream.close();
    await keys.close();
  });
  const call = async (jwt: string): Promise<number> => (await fetch(`${gw.url}/api/x`, { headers: { authorization: `Bearer ${jwt}` } })).status;
  t.equal(keys.hits, 1, 'fetched once at start');
  t.equal(await call(await token({}, { alg: 'RS256', key: first.privateKey, kid: 'k1' })), 200);

  // Random kids: at most one refetch per cooldown, however many arrive.
  const hitsBefore = keys.hits;
  for (let i = 0; i < 30; i++) t.equal(await call(await token({}, { alg: 'RS256', key: second.privateKey, kid: `random-${i}` })), 401);
  t.ok(keys.hits - hitsBefore <= 1, `${keys.hits - hitsBefore} fetch(es) for 30 unknown kids`);

  // Rotation: the key server publishes k2; after the cooldown, the first token with k2 triggers one refetch.
  keys.keys = [await jwk(first, 'k1'), await jwk(second, 'k2')];
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  t.equal(await call(await token({}, { alg: 'RS256', key: second.privateKey, kid: 'k2' })), 200, 'the rotated key is picked up');

  // The key server fails: known keys keep working.
  keys.failing = true;
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  t.equal(await call(await token({}, { alg: 'RS256', key: second.privateKey, kid: 'unknown' })), 401, 'an unknown kid still fails');
  t.equal(await call(await token({}, { alg: 'RS256', key: first.privateKey, kid: 'k1' })), 200, 'a known key survives a failing key server');
  await keys.close();
  t.equal(await call(await token({}, { alg: 'RS256', key: second.privateKey, kid: 'k2' })), 200, 'and a stopped one');
  const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
  t.match(metrics, /permgate_jwks_refreshes_total\{outcome="failed"\} [1-9]/);
});
