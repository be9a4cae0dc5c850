// Circuit breakers with real processes: an upstream killed under load opens its breaker; while open, sensitive routes
// answer 503 in milliseconds, other routes their fallback (static, or the caller's last good response), and nothing
// reaches the dead upstream; when it returns, a probe closes the breaker. 4xx never trips it.
import t from 'tap';
import { startGateway, type GatewayUnderTest } from '../helpers/gateway-under-test.js';
import { startProcessUpstream } from '../helpers/process-upstream.js';
import { startRecordingUpstream } from '../helpers/recording-upstream.js';
import { testClock } from '../helpers/test-clock.js';
import { hsAuth, token } from '../helpers/tokens.js';

/** How long the first test's breaker stays open: ended by advancing the gateway's clock, never by waiting. */
const OPEN_FOR_MS = 60_000;

function yaml(upstream: string, breaker = `{ failureRate: 50%, minRequests: 5, window: 10s, openFor: ${OPEN_FOR_MS}ms }`): string {
  return `${hsAuth({ jwt: 'claims: { roles: roles }' })}
rbac:
  roles:
    reader: { grants: ["svc:*"] }
upstreams:
  svc: { url: "${upstream}", timeout: 2s, connectTimeout: 500ms, breaker: ${breaker} }
routes:
  - { path: /sensitive/**, upstream: svc, auth: none, sensitive: true }
  - { path: /static/**, upstream: svc, auth: none, fallback: { static: { status: 200, body: { degraded: true } } } }
  - { path: /cached/**, upstream: svc, permission: "svc:read", fallback: { lastGood: { maxAge: 1m } } }
  - { path: /plain/**, upstream: svc, auth: none }
`;
}

interface Sample {
  readonly path: string;
  readonly status: number;
  readonly ms: number;
  /** When the request was sent: what the breaker's state at admission is judged by. */
  readonly sentAt: number;
  readonly at: number;
  readonly code?: string;
  readonly fallback: string | null;
  readonly body: string;
}

async function get(gw: GatewayUnderTest, path: string, headers: Record<string, string> = {}): Promise<Sample> {
  const started = performance.now();
  const res = await fetch(`${gw.url}${path}`, { headers });
  const body = await res.text();
  const ms = performance.now() - started;
  let code: string | undefined;
  try {
    code = (JSON.parse(body) as { error?: { code?: string } }).error?.code;
  } catch {
    code = undefined;
  }
  return { path, status: res.status, ms, sentAt: started, at: performance.now(), code, fallback: res.headers.get('x-permgate-fallback'), body };
}

t.test('an upstream killed under load: the breaker opens, routes degrade as configured, and recover when it returns', async (t) => {
  const upstream = await startProcessUpstream();
  const clock = testClock({ ticking: true });
  const gw = await startGateway(yaml(upstream.url), {}, { now: clock.now });
  t.teardown(async () => {
    await gw.close();
    await upstream.close();
  });
  const alice = { authorization: `Bearer ${await token({ sub: 'alice', roles: ['reader'], scope: undefined })}` };
  const bob = { authorization: `Bearer ${await token({ sub: 'bob', roles: ['reader'], scope: undefined })}` };
  const good = await get(gw, '/cached/report', alice);
  t.equal(good.status, 200, 'a good response to remember');

  // Load: 8 workers cycling over the routes, until told to stop.
  const samples: Sample[] = [];
  let running = true;
  const paths = ['/sensitive/x', '/static/x', '/plain/x'];
  const workers = Array.from({ length: 8 }, async (_, w) => {
    for (let i = w; running; i++) samples.push(await get(gw, paths[i % paths.length]!));
  });
  await new Promise((resolve) => setTimeout(resolve, 200));
  const killedAt = performance.now();
  await upstream.kill();
  // Wait for the breaker to open.
  let openedAt = Infinity;
  while (performance.now() - killedAt < 5_000) {
    const ready = (await (await fetch(`${gw.adminUrl}/readyz`)).json()) as { breakers: Record<string, string> };
    if (ready.breakers['upstream:svc'] === 'open') {
      openedAt = performance.now();
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  t.ok(openedAt - killedAt < 2_000, `breaker open ${(openedAt - killedAt).toFixed(0)} ms after the kill`);
  // While open (until the clock passes openFor), what each route answers.
  const sensitive = await get(gw, '/sensitive/x');
  t.match(sensitive, { status: 503, code: 'PG_UPSTREAM_CIRCUIT_OPEN' });
  t.ok(sensitive.ms < 50, `sensitive route refused in ${sensitive.ms.toFixed(1)} ms`);
  t.match(await get(gw, '/static/x'), { status: 200, fallback: 'static', body: '{"degraded":true}' });
  t.match(await get(gw, '/cached/report', alice), { status: 200, fallback: 'last-good', body: good.body }, 'the last good response');
  t.match(await get(gw, '/cached/report', bob), { status: 503, code: 'PG_UPSTREAM_CIRCUIT_OPEN' }, 'never another caller\'s copy');
  t.match(await get(gw, '/plain/x'), { status: 503, code: 'PG_UPSTREAM_CIRCUIT_OPEN' });
  const metrics = await gw.gateway.metrics.registry.metrics();
  t.match(metrics, /permgate_breaker_state\{breaker="upstream:svc"\} 2/);
  t.match(metrics, /permgate_breaker_short_circuits_total\{breaker="upstream:svc",outcome="static"\} [1-9]/);

  // The upstream returns and openFor passes by the gateway's clock; a probe closes the breaker.
  const restartedAt = performance.now();
  await upstream.start();
  clock.advance(OPEN_FOR_MS);
  let recoveredAt = Infinity;
  while (performance.now() - restartedAt < 5_000) {
    if ((await get(gw, '/plain/x')).status === 200) {
      recoveredAt = performance.now();
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  running = false;
  await Promise.all(workers);
  t.ok(recoveredAt - restartedAt < 2_000, `serving again ${(recoveredAt - restartedAt).toFixed(0)} ms after the upstream returned`);
  t.match(await gw.gateway.metrics.registry.metrics(), /permgate_breaker_state\{breaker="upstream:svc"\} 0/);

  // Sent after the breaker was seen open and answered before the upstream returned (a request admitted just before
  // the breaker opened fails on its own, later).
  const afterOpen = samples.filter((s) => s.sentAt > openedAt && s.at < restartedAt);
  t.ok(afterOpen.length > 0, `${afterOpen.length} requests while open`);
  t.same(afterOpen.filter((s) => s.path === '/sensitive/x' && s.status !== 503), [], 'sensitive: only 503 while open');
  t.same(afterOpen.filter((s) => s.path === '/static/x' && s.fallback !== 'static'), [], 'static fallback: always the fallback while open');
  const slowest = Math.max(...samples.map((s) => s.ms));
  t.ok(slowest < 2_500, `no request hung: slowest ${slowest.toFixed(0)} ms (upstream timeout 2 s)`);
  t.comment(`kill → open ${(openedAt - killedAt).toFixed(0)} ms; restart → serving ${(recoveredAt - restartedAt).toFixed(0)} ms; ${samples.length} requests under load, slowest ${slowest.toFixed(0)} ms`);
});

t.test('4xx never trips a breaker; 5xx does; a route may have a breaker of its own', async (t) => {
  const upstream = await startRecordingUpstream();
  const gw = await startGateway(`upstreams:
  svc: { url: "${upstream.url}", breaker: { minRequests: 4, openFor: 10s } }
routes:
  - { path: /a/**, upstream: svc, auth: none }
  - { path: /b/**, upstream: svc, auth: none, breaker: { minRequests: 4, openFor: 10s } }
`);
  t.teardown(async () => {
    await gw.close();
    await upstream.close();
  });
  upstream.handle((req, res) => res.writeHead(req.url!.includes('missing') ? 404 : 500).end());
  for (let i = 0; i < 10; i++) t.equal((await fetch(`${gw.url}/a/missing`)).status, 404);
  t.equal((await get(gw, '/a/missing')).status, 404, 'ten 404s: still closed, still forwarded');
  for (let i = 0; i < 4; i++) await fetch(`${gw.url}/b/x`);
  t.match(await get(gw, '/b/x'), { status: 503, code: 'PG_UPSTREAM_CIRCUIT_OPEN' }, 'four 500s on /b open the route\'s own breaker');
  t.equal((await fetch(`${gw.url}/a/missing`)).status, 404, 'the upstream breaker of /a is not affected');
  const retryAfter = (await fetch(`${gw.url}/b/x`)).headers.get('retry-after');
  t.ok(Number(retryAfter) >= 1 && Number(retryAfter) <= 10, `Retry-After: ${retryAfter}`);
});

t.test('a sensitive route cannot have a fallback', async (t) => {
  const { parseConfig } = await import('../../src/config/load.js');
  t.throws(() => parseConfig(`upstreams:\n  s: { url: "http://127.0.0.1:1" }\nroutes:\n  - { path: /x, upstream: s, auth: none, sensitive: true, fallback: { static: { body: x } } }\n`, 'f.yaml', {}), /routes\[0\]\.fallback: a sensitive route fails closed/);
});
