// A failure the gateway itself causes while building a request never counts against an upstream's breaker
// (issue 10 §2): undici refusing a header value the gateway produced is the gateway's 500, and the breaker that
// protects everyone else's requests does not move.
import Fastify from 'fastify';
import t from 'tap';
import type { Pool } from 'undici';
import { parseConfig } from '../../src/config/load.js';
import { errorBody, type GatewayError } from '../../src/errors.js';
import type { Identity } from '../../src/auth/identity.js';
import type { NormalizedPath, NormalizedTarget } from '../../src/routing/normalize-path.js';
import { CarriedOver } from '../../src/upstream/carried-over.js';
import type { Breaker } from '../../src/upstream/circuit-breaker.js';
import { Forwarder } from '../../src/upstream/forward.js';
import type { ForwardContext } from '../../src/upstream/forward-context.js';
import type { LastGoodCache } from '../../src/upstream/last-good.js';
import { ResilientForwarder } from '../../src/upstream/resilient-forward.js';
import { retirePool } from '../../src/upstream/upstream-pool.js';
import { gatewayWithUpstream } from '../helpers/gateway-under-test.js';
import { startRecordingUpstream } from '../helpers/recording-upstream.js';

const BREAKER = '{ failureRate: 50%, minRequests: 5, window: 10s, openFor: 30s }';

t.test('header values undici refuses (non-Latin-1, control characters) are the gateway\'s 500 and never open the upstream\'s breaker', async (t) => {
  // The forwarding mechanism on its own, fed identity header values no encoding has touched.
  const upstream = await startRecordingUpstream();
  t.teardown(() => upstream.close());
  const loaded = parseConfig(`upstreams:\n  svc: { url: "${upstream.url}", breaker: ${BREAKER} }\nroutes:\n  - { path: /public/**, upstream: svc, auth: none }\n`, 'test.yaml', {});
  const pools = new CarriedOver<Pool>(retirePool);
  const carried = { pools, breakers: new CarriedOver<Breaker>((b) => b.shutdown()), lastGood: new CarriedOver<LastGoodCache>() };
  const forwarder = new Forwarder(loaded.config, pools, { onUpstreamDone: (ctx, outcome) => ctx.breakerCall?.settle(outcome) });
  const resilient = new ResilientForwarder(loaded.config, loaded.routes.routes, forwarder, { onTransition: () => {}, onShortCircuit: () => {} }, carried, Date.now);
  const app = Fastify();
  app.get('/*', (request, reply) => {
    const path = request.url as NormalizedPath;
    const target: NormalizedTarget = { path, segments: path.slice(1).split('/'), trailingSlash: false, query: '' };
    const subject = request.headers['x-test-subject'];
    const ctx: ForwardContext = {
      requestId: request.id, method: 'GET', headers: request.headers,
      client: { ip: '127.0.0.1', peer: '127.0.0.1', peerTrusted: false, forwardedFor: '127.0.0.1' }, proto: 'http',
      target, match: loaded.routes.match('GET', target), identity: undefined, body: undefined,
      identityHeaders: subject === 'cjk' ? { 'x-auth-subject': '李雷' } : subject === 'bell' ? { 'x-auth-subject': '\u0007' } : {},
      reply: {
        raw: reply.raw,
        log: request.log,
        ownHeaders: () => reply.getHeaders(),
        takeOver: () => reply.hijack(),
        refuse: (err: GatewayError) => void reply.code(err.status).send(errorBody(err)),
        send: (status, headers, body) => void reply.code(status).headers(headers).send(body),
      },
      forwardedAt: undefined, upstreamDoneAt: undefined, breakerCall: undefined, fallback: undefined,
    };
    resilient.forward(ctx);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(async () => {
    await app.close();
    await Promise.all([...pools.values()].map((pool) => pool.destroy()));
    carried.breakers.clear();
  });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  for (let i = 0; i < 20; i++) {
    const res = await fetch(`${base}/public/x`, { headers: { 'x-test-subject': i % 2 ? 'cjk' : 'bell' } });
    t.equal(res.status, 500, 'the gateway could not build the request: its own fault');
    t.match(await res.json(), { error: { code: 'PG_INTERNAL' } });
  }
  t.same(resilient.states(), { 'upstream:svc': 'closed' }, 'the breaker did not count them');
  t.equal(upstream.requests.length, 0, 'nothing reached the upstream');
  t.equal((await fetch(`${base}/public/ok`)).status, 200, 'everyone else is still served');
});

t.test('through the whole gateway: callers whose names are not Latin-1 never open the breaker, and public routes keep working', async (t) => {
  // Whatever the identity header encoding does with these names (H2 encodes them), the breaker must not move.
  const odd: Identity[] = [
    { subject: '李雷', roles: [], tenant: undefined, scopes: [] },
    { subject: '\u0007bell', roles: ['r\u00e9le'], tenant: '租户', scopes: [] },
  ];
  let next = 0;
  const { gw } = await gatewayWithUpstream(
    t,
    (url) => `upstreams:\n  svc: { url: "${url}", breaker: ${BREAKER} }\nroutes:\n  - { path: /public/**, upstream: svc, auth: none }\n  - { path: /private/**, upstream: svc, permission: "doc:read" }\n`,
    {},
    {
      authenticator: { authenticate: () => ({ identity: odd[next++ % odd.length]!, jti: undefined, iat: undefined, exp: Infinity }) },
      authorizer: { authorize: (request) => ({ allowed: true, roles: [...request.identity.roles], codes: [...request.codes] }) },
    },
  );
  for (let i = 0; i < 20; i++) {
    const res = await fetch(`${gw.url}/private/doc`);
    t.ok(res.status === 200 || res.status === 500, `answered ${res.status}: forwarded, or the gateway's own fault`);
    if (res.status === 500) t.match(await res.json(), { error: { code: 'PG_INTERNAL' } });
  }
  t.equal((await fetch(`${gw.url}/public/x`)).status, 200, 'the public route on the same upstream still works');
  const ready = (await (await fetch(`${gw.adminUrl}/readyz`)).json()) as { breakers?: Record<string, string> };
  t.match(ready, { breakers: { 'upstream:svc': 'closed' } });
});
