// Two gateway instances share one private Redis: a revocation made through one is honoured by the other within
// 100 ms, a missed pub/sub message is caught by the version check, and ordinary requests cost no Redis command.
import { Redis } from 'ioredis';
import t from 'tap';
import { startGateway, type GatewayUnderTest } from '../helpers/gateway-under-test.js';
import { startPrivateRedis } from '../helpers/private-redis.js';
import { startRecordingUpstream } from '../helpers/recording-upstream.js';
import { hsAuth, token } from '../helpers/tokens.js';

const ADMIN = 'admin-token-for-tests-0123456789abcdef';

function yaml(redisUrl: string, upstreamUrl: string): string {
  return `
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0, token: ${ADMIN} }
store:
  redis: "${redisUrl}"
${hsAuth({ revocation: '{ syncInterval: 100ms }' })}rbac: { tokenScopes: true }
upstreams:
  svc: { url: "${upstreamUrl}" }
routes:
  - { path: /api/**, upstream: svc, permission: order:read }
`;
}

async function status(gw: GatewayUnderTest, jwt: string): Promise<number> {
  return (await fetch(`${gw.url}/api/x`, { headers: { authorization: `Bearer ${jwt}` } })).status;
}

async function revoke(gw: GatewayUnderTest, body: object): Promise<void> {
  const res = await fetch(`${gw.adminUrl}/admin/revocations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`revocation failed: ${res.status} ${await res.text()}`);
}

/** Polls until the gateway refuses the token; returns how long that took. */
async function timeUntilRefused(gw: GatewayUnderTest, jwt: string, deadlineMs: number): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < deadlineMs) {
    if ((await status(gw, jwt)) === 401) return performance.now() - started;
  }
  return Infinity;
}

t.test('a revocation made on one instance is honoured by another within 100 ms', async (t) => {
  const redis = await startPrivateRedis();
  const upstream = await startRecordingUpstream();
  const a = await startGateway(yaml(redis.url, upstream.url));
  const b = await startGateway(yaml(redis.url, upstream.url));
  t.teardown(async () => {
    await a.close();
    await b.close();
    await upstream.close();
    await redis.close();
  });
  const byJti = await token({ jti: 'tok-1' });
  const bySubject = await token({ sub: 'bob', jti: 'tok-2' });
  t.equal(await status(b, byJti), 200, 'B accepts the token before');
  t.equal(await status(b, bySubject), 200);

  await revoke(a, { jti: 'tok-1' });
  const jtiMs = await timeUntilRefused(b, byJti, 1_000);
  t.comment(`jti revocation visible on the other instance after ${jtiMs.toFixed(1)} ms`);
  t.ok(jtiMs <= 100, `jti revocation propagated in ${jtiMs.toFixed(1)} ms`);

  await revoke(a, { subject: 'bob' });
  const subjectMs = await timeUntilRefused(b, bySubject, 1_000);
  t.comment(`subject revocation visible on the other instance after ${subjectMs.toFixed(1)} ms`);
  t.ok(subjectMs <= 100, `subject revocation propagated in ${subjectMs.toFixed(1)} ms`);
  t.equal(await status(a, bySubject), 401, 'and on the instance that made it');
  t.equal(await status(b, await token({ sub: 'carol' })), 200, 'other callers are untouched');
});

t.test('a change whose message was missed is caught by the version check', async (t) => {
  const redis = await startPrivateRedis();
  const upstream = await startRecordingUpstream();
  const gw = await startGateway(yaml(redis.url, upstream.url));
  const raw = new Redis(redis.url);
  t.teardown(async () => {
    raw.disconnect();
    await gw.close();
    await upstream.close();
    await redis.close();
  });
  const jwt = await token({ jti: 'silent-1' });
  t.equal(await status(gw, jwt), 200);
  // Write the revocation the way a lost message would leave it: data and version changed, nothing published.
  await raw.zadd('{permgate:revocation}:tokens', Math.floor(Date.now() / 1000) + 600, 'silent-1');
  await raw.incr('{permgate:revocation}:version');
  const ms = await timeUntilRefused(gw, jwt, 2_000);
  t.comment(`missed message recovered after ${ms.toFixed(0)} ms (syncInterval 100 ms)`);
  t.ok(ms < 1_000, 'refused within a few sync intervals');
});

t.test('an ordinary, unrevoked request costs no Redis command', async (t) => {
  const redis = await startPrivateRedis();
  const upstream = await startRecordingUpstream();
  const gw = await startGateway(yaml(redis.url, upstream.url));
  const raw = new Redis(redis.url);
  t.teardown(async () => {
    raw.disconnect();
    await gw.close();
    await upstream.close();
    await redis.close();
  });
  const commands = async (): Promise<number> => Number(/total_commands_processed:(\d+)/.exec(await raw.info('stats'))![1]);
  const jwt = await token();
  await status(gw, jwt); // the first use verifies the signature; no Redis either way
  const before = await commands();
  const started = performance.now();
  for (let i = 0; i < 200; i++) t.equal(await status(gw, jwt), 200);
  const seconds = (performance.now() - started) / 1000;
  const used = (await commands()) - before - 1; // minus our own INFO
  // Only the background version check (one GET per 100 ms) may have run meanwhile.
  const background = Math.ceil(seconds / 0.1) + 2;
  t.comment(`200 requests in ${seconds.toFixed(2)} s: ${used} Redis commands (background allowance ${background})`);
  t.ok(used <= background, `${used} commands for 200 requests`);
});

t.test('a Redis that lost its data (version counter restarted) cannot hide a new revocation', async (t) => {
  const redis = await startPrivateRedis();
  const upstream = await startRecordingUpstream();
  const gw = await startGateway(yaml(redis.url, upstream.url));
  const raw = new Redis(redis.url);
  t.teardown(async () => {
    raw.disconnect();
    await gw.close();
    await upstream.close();
    await redis.close();
  });
  await revoke(gw, { subject: 'old-news' }); // the mirror is now at version 1
  await raw.flushall(); // our own private Redis: as a restart without persistence would leave it
  const jwt = await token({ sub: 'dave' });
  t.equal(await status(gw, jwt), 200);
  await revoke(gw, { subject: 'dave' }); // version 1 again, in a new epoch
  t.equal(await status(gw, jwt), 401, 'refused at once on the instance that wrote it');
});
