// Denial spikes (issue 14, Keep privileges small), through a real gateway: a subject refused rbac.denialSpikes.threshold
// times within one window is flagged once (permgate_denial_spikes_total, a `subject.denial_spike` audit entry, one
// POST to the webhook); a subject still over the threshold in the next window is not flagged again; after a window
// below it, it is. A webhook that never answers is given up after its timeout, counted, and not retried, and the
// 403s it follows are answered all the same.
import t, { type Test } from 'tap';
import { gatewayWithUpstream, type GatewayUnderTest } from '../helpers/gateway-under-test.js';
import { startRecordingUpstream, type RecordingUpstream } from '../helpers/recording-upstream.js';
import { testClock, type TestClock } from '../helpers/test-clock.js';
import { hsAuth, token } from '../helpers/tokens.js';

const MINUTE = 60_000;

function yaml(upstream: string, webhook: string): string {
  return `${hsAuth()}
rbac:
  denialSpikes: { threshold: 3, window: 1m, webhook: "${webhook}", webhookTimeout: 300ms }
  roles:
    viewer: { grants: [order:read] }
  subjects:
    alice: { roles: [viewer] }
upstreams:
  svc: { url: "${upstream}" }
routes:
  - { path: /api/orders/**, upstream: svc, permission: { GET: order:read, DELETE: order:delete } }
`;
}

async function denied(gw: GatewayUnderTest, clock: TestClock, sub: string, times: number): Promise<number[]> {
  const bearer = await token({ sub, scope: undefined }, { now: clock.now() });
  const statuses = [];
  for (let i = 0; i < times; i++) {
    const res = await fetch(`${gw.url}/api/orders/${i}`, { method: 'DELETE', headers: { authorization: `Bearer ${bearer}` } });
    await res.arrayBuffer();
    statuses.push(res.status);
  }
  return statuses;
}

async function metric(gw: GatewayUnderTest, pattern: RegExp): Promise<number> {
  return Number(pattern.exec(await gw.gateway.metrics.registry.metrics())?.[1] ?? 0);
}

/** Waits (real time) until `check` holds, for what happens after the 403 was answered (webhook, audit). */
async function eventually(check: () => Promise<boolean> | boolean): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return false;
}

async function start(t: Test, hook: RecordingUpstream, clock: TestClock): Promise<GatewayUnderTest> {
  const { gw } = await gatewayWithUpstream(t, (url) => yaml(url, `${hook.url}/hooks/permgate`), {}, { now: clock.now });
  return gw;
}

t.test('a subject over the threshold in one window is flagged once: metric, audit entry and one webhook POST', async (t) => {
  const hook = await startRecordingUpstream();
  t.teardown(() => hook.close());
  const clock = testClock({ ticking: true });
  const gw = await start(t, hook, clock);
  const spikes = /permgate_denial_spikes_total (\d+)/;

  t.same(await denied(gw, clock, 'mallory', 2), [403, 403]);
  t.equal(await metric(gw, spikes), 0, 'two denials: under the threshold');
  t.same(await denied(gw, clock, 'mallory', 4), [403, 403, 403, 403], 'a flagged subject is still answered 403, nothing more');
  t.same(await denied(gw, clock, 'bob', 2), [403, 403]);
  t.equal(await metric(gw, spikes), 1, 'six denials of mallory in one window: flagged once; bob not at all');
  t.ok(await eventually(() => hook.requests.length === 1), 'one webhook call');
  const call = hook.requests[0]!;
  t.equal(call.method, 'POST');
  t.equal(call.target, '/hooks/permgate');
  t.equal(call.headers['content-type'], 'application/json');
  t.match(JSON.parse(call.body.toString()), { event: 'denial_spike', subject: 'mallory', route: '/api/orders/**', denials: 3, threshold: 3, window: MINUTE });
  t.ok(await eventually(async () => (await gw.gateway.audit.recent(20)).some((e) => e.action === 'subject.denial_spike')));
  const entries = (await gw.gateway.audit.recent(20)).filter((e) => e.action === 'subject.denial_spike');
  t.match(entries, [{ kind: 'denial', actor: 'mallory', target: '/api/orders/**', after: { denials: 3, threshold: 3 } }]);

  // The next window, still over the threshold: the same spike, no second alarm.
  clock.advance(MINUTE);
  await denied(gw, clock, 'mallory', 3);
  t.equal(await metric(gw, spikes), 1, 'still spiking in the next window: not flagged again');

  // A quiet window, then a new burst: a new spike.
  clock.advance(3 * MINUTE);
  await denied(gw, clock, 'mallory', 3);
  t.equal(await metric(gw, spikes), 2, 'after a quiet window, a new burst is a new spike');
  t.ok(await eventually(() => hook.requests.length === 2), 'and a second webhook call');
  t.ok(await eventually(async () => (await metric(gw, /permgate_denial_spike_webhooks_total\{outcome="sent"\} (\d+)/)) === 2));
});

t.test('a webhook that never answers is given up after its timeout and not retried', async (t) => {
  const hook = await startRecordingUpstream();
  hook.handle(() => {}); // never answers
  t.teardown(() => hook.close());
  const clock = testClock({ ticking: true });
  const gw = await start(t, hook, clock);
  t.same(await denied(gw, clock, 'mallory', 3), [403, 403, 403], 'the 403s do not wait for the webhook');
  t.ok(await eventually(async () => (await metric(gw, /permgate_denial_spike_webhooks_total\{outcome="failed"\} (\d+)/)) === 1), 'counted as failed');
  await new Promise((resolve) => setTimeout(resolve, 400));
  t.equal(hook.requests.length, 1, 'one call, no retry');
});

t.test('threshold 0 turns spike detection off', async (t) => {
  const clock = testClock({ ticking: true });
  const { gw } = await gatewayWithUpstream(t, (url) => yaml(url, 'http://127.0.0.1:9/never').replace('threshold: 3', 'threshold: 0'), {}, { now: clock.now });
  await denied(gw, clock, 'mallory', 5);
  t.equal(await metric(gw, /permgate_denial_spikes_total (\d+)/), 0);
});

t.test('a webhook URL with credentials is refused at load', async (t) => {
  const { parseConfig } = await import('../../src/config/load.js');
  t.throws(() => parseConfig(yaml('http://127.0.0.1:1', 'https://user:pw@alerts.example.com/x'), 'test.yaml', {}), /denialSpikes\.webhook[\s\S]*credentials/);
});
