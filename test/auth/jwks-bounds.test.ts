// The JWKS document is bounded (issue 10 §1): a key server that sends more than the size bound — declared or not, even
// endlessly — or more keys than the key bound makes a failed refresh, cut as soon as the bound is passed, and the keys
// already known keep working.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, type JWK } from 'jose';
import t, { type Test } from 'tap';
import type { JwksConfig } from '../../src/config/auth-types.js';
import { JwksKeySource } from '../../src/auth/jwks-key-source.js';
import { startGateway } from '../helpers/gateway-under-test.js';
import { startRecordingUpstream } from '../helpers/recording-upstream.js';
import { AUDIENCE, ISSUER, keyPair, token } from '../helpers/tokens.js';

type Mode = 'good' | 'large-declared' | 'large-chunked' | 'endless' | 'many-keys';

const pair = keyPair('rsa');
const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };

async function startKeyServer(t: Test) {
  const state = { mode: 'good' as Mode, cancelled: 0 };
  const server = createServer((_req, res: ServerResponse) => {
    res.on('close', () => {
      if (!res.writableFinished) state.cancelled++;
    });
    const keys = (n: number) => JSON.stringify({ keys: Array.from({ length: n }, (_, i) => ({ ...jwk, kid: i === 0 ? 'k1' : `k${i + 1}` })) });
    switch (state.mode) {
      case 'good':
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(keys(1));
      case 'many-keys':
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(keys(101)); // ~50 KB: under the size bound
      case 'large-declared': {
        const body = JSON.stringify({ keys: [jwk], padding: 'x'.repeat(70 * 1024) });
        return void res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
      }
      case 'large-chunked':
        res.writeHead(200, { 'content-type': 'application/json' }); // no Content-Length: only counting can tell
        res.write(`{"keys":[${JSON.stringify(jwk)}],"padding":"`);
        for (let i = 0; i < 70; i++) res.write('x'.repeat(1024));
        return void res.end('"}');
      case 'endless': {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"keys":[],"padding":"');
        const more = (): void => {
          if (res.destroyed) return;
          if (res.write('x'.repeat(16 * 1024))) setImmediate(more);
          else res.once('drain', more);
        };
        return more();
      }
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return Object.assign(state, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json` });
}

function config(url: string): JwksConfig {
  return { uri: new URL(url), cooldown: 0, refreshInterval: 3_600_000, timeout: 10_000, maxSize: 64 * 1024, maxKeys: 100 };
}

t.test('a document over the size or key bound is a failed refresh, cut at the bound, and the known keys stay', async (t) => {
  const keys = await startKeyServer(t);
  const outcomes: string[] = [];
  const source = new JwksKeySource(config(keys.url), { onRefresh: (outcome, reason) => void outcomes.push(`${outcome}${reason ? `: ${reason}` : ''}`) });
  t.teardown(() => source.stop());
  await source.start();
  t.same(outcomes, ['ok']);
  const header = { alg: 'RS256', kid: 'k1' };
  const input = { payload: '', signature: '', protected: '' };
  t.ok(await source.getKey(header, input), 'the key is known');

  for (const [mode, reason] of [
    ['large-declared', /larger than 65536 bytes/],
    ['large-chunked', /larger than 65536 bytes/],
    ['endless', /larger than 65536 bytes/],
    ['many-keys', /holds 101 keys, more than 100/],
  ] as const) {
    keys.mode = mode;
    outcomes.length = 0;
    const started = performance.now();
    await source.refresh();
    const took = performance.now() - started;
    t.match(outcomes, [reason], `${mode}: a failed refresh naming the bound`);
    t.ok(took < 2_000, `${mode}: decided in ${took.toFixed(0)} ms, well before the 10 s fetch timeout`);
    t.ok(await source.getKey(header, input), `${mode}: the key already known still verifies`);
  }
  t.ok(keys.cancelled >= 1, 'the endless download was cancelled by the gateway');
  keys.mode = 'good';
  outcomes.length = 0;
  await source.refresh();
  t.same(outcomes, ['ok'], 'a good document is taken again');
});

t.test('through the gateway: a hostile key server changes nothing for tokens signed with known keys, and the bounds are configurable', async (t) => {
  const keys = await startKeyServer(t);
  const upstream = await startRecordingUpstream();
  let nowMs = Date.now();
  const gw = await startGateway(
    `
auth:
  jwt:
    algorithms: [RS256]
    issuer: ${ISSUER}
    audience: ${AUDIENCE}
    jwksUri: "${keys.url}"
    jwksCooldown: 1s
    jwksMaxSize: 32kb
    jwksMaxKeys: 5
rbac: { tokenScopes: true }
upstreams:
  svc: { url: "${upstream.url}" }
routes:
  - { path: /api/**, upstream: svc, permission: order:read }
`,
    {},
    { now: () => nowMs },
  );
  t.teardown(async () => {
    await gw.close();
    await upstream.close();
  });
  const call = async (kid: string): Promise<number> => {
    const res = await fetch(`${gw.url}/api/x`, { headers: { authorization: `Bearer ${await token({}, { alg: 'RS256', key: pair.privateKey, kid, now: nowMs })}` } });
    await res.arrayBuffer();
    return res.status;
  };
  t.equal(await call('k1'), 200);
  keys.mode = 'many-keys'; // 101 keys: over the configured 5 (and ~50 KB: over the configured 32 KiB)
  nowMs += 2_000; // past the cooldown: an unknown kid refetches
  t.equal(await call('k7'), 401, 'the refetched document is refused, so k7 stays unknown');
  t.equal(await call('k1'), 200, 'the known key still verifies');
  const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
  t.match(metrics, /permgate_jwks_refreshes_total\{outcome="failed"\} 1/, 'the failed refresh is counted');
});
