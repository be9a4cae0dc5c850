// Guessing the admin token stops: failed admin authentications are logged (address and reason, never the credential)
// and counted per client address; once an address has used up `server.admin.failureLimit`, it gets 429 with
// Retry-After before its token is even looked at — the right token included — until the window ends. Successes
// spend nothing, and other addresses are not affected.
import { request } from 'node:http';
import t from 'tap';
import { gatewayWithUpstream, type GatewayUnderTest } from '../helpers/gateway-under-test.js';
import { hsAuth, token } from '../helpers/tokens.js';

const ADMIN = 'failure-throttle-admin-token-0123456789abcdef';

const yaml = (limit: string) => (url: string): string => `
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0, token: ${ADMIN}, jwt: true, failureLimit: ${limit} }
${hsAuth()}
upstreams:
  svc: { url: "${url}" }
routes:
  - { path: /api/**, upstream: svc, permission: order:read }
`;

interface Answer {
  readonly status: number;
  readonly code: string | undefined;
  readonly retryAfter: string | undefined;
}

/** GET /admin/revocations from `localAddress` (any 127/8 address reaches the 127.0.0.1 listener on Linux). */
function get(gw: GatewayUnderTest, auth: string, localAddress = '127.0.0.1'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${gw.adminUrl}/admin/revocations`, { headers: { authorization: `Bearer ${auth}` }, localAddress }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        const header = res.headers['retry-after'];
        resolve({ status: res.statusCode!, code: (JSON.parse(text) as { error?: { code: string } }).error?.code, retryAfter: Array.isArray(header) ? header[0] : header });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Log lines (JSON) written by the gateway, for the test to read. */
function capturedLogs(): { lines: Record<string, unknown>[]; text: () => string; logger: { level: string; stream: { write(line: string): void } } } {
  const raw: string[] = [];
  return {
    get lines() {
      return raw.map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    text: () => raw.join(''),
    logger: { level: 'info', stream: { write: (line: string) => void raw.push(line) } },
  };
}

t.test('after failureLimit failures, an address gets 429 with Retry-After, even with the right token; other addresses do not', async (t) => {
  const logs = capturedLogs();
  const { gw } = await gatewayWithUpstream(t, yaml('3/min'), {}, { logger: logs.logger });
  const guesses = ['guess-number-one', 'Bearer-looking-guess', 'a.b.c'];
  for (const guess of guesses) t.match(await get(gw, guess), { status: 401, code: 'PG_ADMIN_UNAUTHORIZED' }, 'a wrong token is a 401 while failures remain');
  const blocked = await get(gw, ADMIN);
  t.match(blocked, { status: 429, code: 'PG_ADMIN_THROTTLED' }, 'the right token no longer helps: it is not even looked at');
  t.ok(Number(blocked.retryAfter) >= 1 && Number(blocked.retryAfter) <= 60, `Retry-After ${blocked.retryAfter} lies within the window`);
  t.match(await get(gw, 'guess-number-four'), { status: 429, code: 'PG_ADMIN_THROTTLED' });
  t.match(await get(gw, ADMIN, '127.0.0.2'), { status: 200 }, 'another address is not affected');

  const failures = logs.lines.filter((line) => line.msg === 'admin authentication failed');
  t.equal(failures.length, 3, 'each failure is logged once; refused (throttled) requests are not authentication attempts');
  t.ok(failures.every((line) => line.address === '127.0.0.1' && line.reason === 'PG_ADMIN_UNAUTHORIZED' && line.level === 40), 'with the address and the reason, at warn');
  for (const guess of [...guesses, 'guess-number-four', ADMIN]) t.notOk(logs.text().includes(guess), 'no token, right or wrong, is in any log line');
});

t.test('successful calls spend nothing, and JWT failures (bad signature, not an admin) are failures too', async (t) => {
  const { gw } = await gatewayWithUpstream(t, yaml('2/min'));
  for (let i = 0; i < 20; i++) t.equal((await get(gw, ADMIN)).status, 200);
  t.equal((await get(gw, await token({ sub: 'otto' }, { key: new TextEncoder().encode('a-different-secret-of-enough-length!!') }))).status, 401, 'a forged JWT');
  t.equal((await get(gw, await token({ sub: 'otto', aud: 'elsewhere' }))).status, 401, 'a JWT for another audience');
  t.equal((await get(gw, ADMIN)).code, 'PG_ADMIN_THROTTLED');
});

t.test('a 403 (a real JWT without the admin code) is logged but does not count: the credential is not being guessed', async (t) => {
  const logs = capturedLogs();
  const { gw } = await gatewayWithUpstream(t, yaml('2/min'), {}, { logger: logs.logger });
  const plain = await token({ sub: 'plain-user' });
  for (let i = 0; i < 5; i++) t.equal((await get(gw, plain)).code, 'PG_ADMIN_FORBIDDEN');
  t.equal((await get(gw, ADMIN)).status, 200);
  t.equal(logs.lines.filter((line) => line.reason === 'PG_ADMIN_FORBIDDEN').length, 5);
});

t.test('when the window ends, the address is admitted again', async (t) => {
  const { gw } = await gatewayWithUpstream(t, yaml('1/1s'));
  t.equal((await get(gw, 'wrong')).status, 401);
  const blocked = await get(gw, ADMIN);
  t.equal(blocked.code, 'PG_ADMIN_THROTTLED');
  t.equal(blocked.retryAfter, '1');
  // @fastify/rate-limit's local store reads the wall clock, so this one test waits for the window (1 s) to end.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  t.equal((await get(gw, ADMIN)).status, 200);
});
