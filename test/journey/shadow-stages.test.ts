// The shadow seam through the whole gateway (issue 11 §2): a stage run in shadow mode decides and records, and the
// request goes on as if it had passed; in enforce mode the same request is refused, and the record names the stage
// that decided. Shadow never lets a client's own identity headers through, and stages that produce what later stages
// need cannot be shadowed. Which stages shadow is each route's `shadow` (test/shadow/ proves the rest).
import { Writable } from 'node:stream';
import t from 'tap';
import { parseConfig } from '../../src/config/load.js';
import { buildJourney } from '../../src/pipeline/index.js';
import { gatewayWithUpstream } from '../helpers/gateway-under-test.js';
import { hsAuth, token } from '../helpers/tokens.js';

const YAML = (upstream: string, shadow = ''): string => `${hsAuth({ jwt: 'claims: { roles: roles }' })}
rbac:
  roles:
    viewer: { grants: [order:read] }
  subjects:
    alice: { roles: [viewer] }
upstreams:
  svc: { url: "${upstream}" }
routes:
  - path: /api/orders/**
    upstream: svc
    permission: { GET: order:read, DELETE: order:delete }
${shadow}`;

/** A logger that keeps every JSON line the gateway writes. */
function capturedLogger(): { logger: { level: string; stream: Writable }; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: { level: 'info', stream }, lines };
}

t.test('authorize in shadow: the refusal is recorded with its stage and code, and the request reaches the upstream', async (t) => {
  const { logger, lines } = capturedLogger();
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => YAML(url, '    shadow: [authorize]\n'), {}, { logger });
  const res = await fetch(`${gw.url}/api/orders/7`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${await token({ sub: 'alice' })}`, 'x-auth-subject': 'root' },
  });
  t.equal(res.status, 200, 'the upstream answered: shadow does not refuse');
  t.same(upstream.requests.map((r) => `${r.method} ${r.target}`), ['DELETE /api/orders/7']);
  t.equal(upstream.requests[0]!.headers['x-auth-subject'], undefined, 'no identity is vouched for (and the client\'s own header is stripped)');
  const shadowLine = lines.find((line) => line.msg === 'a stage in shadow mode would have refused; the request went on');
  t.match(shadowLine, { stage: 'authorize', code: 'PG_FORBIDDEN', route: '/api/orders/**', subject: 'alice' }, 'the would-be refusal is logged');
  t.notOk(lines.some((line) => line.msg === 'request refused'), 'nothing was refused for real');
});

t.test('authorize in enforce: the same request is refused, and the refusal line names the stage that decided', async (t) => {
  const { logger, lines } = capturedLogger();
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => YAML(url), {}, { logger });
  const res = await fetch(`${gw.url}/api/orders/7`, { method: 'DELETE', headers: { authorization: `Bearer ${await token({ sub: 'alice' })}` } });
  t.equal(res.status, 403);
  t.equal(upstream.requests.length, 0);
  t.match(lines.find((line) => line.msg === 'request refused'), { code: 'PG_FORBIDDEN', stage: 'authorize', status: 403 });
  const missing = await fetch(`${gw.url}/nowhere`);
  t.equal(missing.status, 404);
  await missing.arrayBuffer();
  t.match(lines.filter((line) => line.msg === 'request refused').at(-1), { code: 'PG_ROUTE_NOT_FOUND', stage: 'match-route' });
});

t.test('authenticate in shadow alone is a config error: authorize would refuse every caller nobody verified', (t) => {
  const text = YAML('http://127.0.0.1:9', '    shadow: [authenticate]\n');
  t.throws(() => parseConfig(text, 'shadow.yaml', {}), /routes\[0\]\.shadow.*shadows authenticate but not authorize/s);
  t.end();
});

t.test('authenticate and authorize in shadow: a caller with no token reaches the upstream, vouched for by nobody', async (t) => {
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => YAML(url, '    shadow: [authenticate, authorize]\n'));
  const res = await fetch(`${gw.url}/api/orders/7`, { headers: { 'x-auth-subject': 'root' } });
  t.equal(res.status, 200);
  t.equal(upstream.requests.length, 1);
  t.equal(upstream.requests[0]!.headers['x-auth-subject'], undefined, 'no identity, and the client\'s own header is stripped');
});

t.test('stages that produce what later stages need cannot run in shadow mode', (t) => {
  const loaded = parseConfig(`upstreams:\n  svc: { url: "http://127.0.0.1:9" }\nroutes:\n  - { path: /p/**, upstream: svc, auth: none }\n`, 'shadow.yaml', {});
  const part = {} as never;
  const deps = (stages: string[]) => ({
    authenticator: part,
    authorizer: part,
    authorization: { onDenied() {}, exposeMissingCode: true },
    revocations: undefined,
    rateLimiter: undefined,
    forwarder: part,
    record: { metrics: part, refusals: part, logs: { refusalsPerSecond: 1, fieldLength: 1 }, accessLog: false },
    shadow: { stages: new Set(stages), onRefusal() {} },
  });
  for (const name of ['normalize-path', 'match-route', 'read-body', 'forward', 'record']) {
    t.throws(() => buildJourney(loaded, deps([name])), /cannot run in shadow mode/, `${name} cannot`);
  }
  t.throws(() => buildJourney(loaded, deps(['no-such-stage'])), /no stage "no-such-stage"/);
  const journey = buildJourney(loaded, deps(['authorize', 'authenticate']));
  t.same(
    journey.stages.map((stage, i) => `${stage.name}:${journey.modes[i]}`),
    ['normalize-path:enforce', 'match-route:enforce', 'check-body-size:enforce', 'authenticate:shadow', 'authorize:shadow', 'read-body:enforce', 'forward:enforce', 'record:enforce'],
  );
  t.end();
});
