// Tracing end to end (issue 14, "see every decision"): a real gateway, a real upstream and a real OTLP/HTTP collector
// started here. A continued trace keeps the caller's trace id and parent; the gateway's request span has one child
// per stage; the upstream gets a traceparent of the same trace whose parent is the forward span; a denial's spans,
// log line and 403 body tell the same story; the last spans are exported when the gateway drains.
import t, { type Test } from 'tap';
import { gatewayWithUpstream } from '../helpers/gateway-under-test.js';
import { startOtlpCollector, type CollectedSpan, type OtlpCollector } from '../helpers/otlp-collector.js';
import { hsAuth, token } from '../helpers/tokens.js';

const yaml = (upstream: string, collector: string, tracing = ''): string => `
server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0 }
${hsAuth()}
rbac:
  subjects:
    alice: { roles: [viewer] }
  roles:
    viewer: { grants: [order:read] }
upstreams:
  svc: { url: "${upstream}" }
routes:
  - { path: /public/**, upstream: svc, auth: none }
  - { path: "/orders/:id", upstream: svc, permission: { GET: "order:read", DELETE: "order:delete" } }
tracing:
  otlp:
    url: ${collector}
    headers: { x-collector-key: k-123 }
${tracing}`;

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
/** Every stage of this config's journey, in order, each in a span of its own. */
const STAGES = ['normalize-path', 'match-route', 'check-body-size', 'authenticate', 'check-revocation', 'authorize', 'read-body', 'forward', 'record'];

async function collector(t: Test): Promise<OtlpCollector> {
  const c = await startOtlpCollector();
  t.teardown(() => c.close());
  return c;
}

/** One line of the gateway's JSON log. */
type LogLine = Record<string, unknown>;

function capturedLogger(lines: LogLine[]) {
  return { level: 'info', stream: { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) } };
}

const childrenOf = (spans: CollectedSpan[], parent: CollectedSpan): CollectedSpan[] =>
  spans.filter((span) => span.parentSpanId === parent.spanId).sort((a, b) => (BigInt(a.startTimeUnixNano) < BigInt(b.startTimeUnixNano) ? -1 : 1));

t.test('a continued trace reaches the collector: the caller is the parent, one span per stage, and the upstream is told the forward span', async (t) => {
  const otlp = await collector(t);
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => yaml(url, otlp.url));
  const res = await fetch(`${gw.url}/orders/7`, {
    headers: { authorization: `Bearer ${await token({ sub: 'alice' })}`, traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01`, tracestate: 'vendor=abc,other=x' },
  });
  t.equal(res.status, 200);
  await res.arrayBuffer();
  await gw.close(); // the drain flushes the spans still buffered

  const got = upstream.requests[0]!.headers;
  const sent = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(String(got.traceparent));
  t.ok(sent, `the upstream got a valid, sampled traceparent: ${String(got.traceparent)}`);
  t.equal(sent![1], TRACE_ID, 'of the caller\'s trace');
  t.not(sent![2], CALLER_SPAN, 'naming the gateway\'s span as the parent, not the caller\'s');
  t.equal(got.tracestate, 'vendor=abc,other=x', 'the caller\'s tracestate goes on with its trace');

  const server = otlp.spans.filter((span) => span.kind === 2);
  t.equal(server.length, 1, 'one request span');
  const request = server[0]!;
  t.equal(request.traceId, TRACE_ID);
  t.equal(request.parentSpanId, CALLER_SPAN, 'its parent is the caller\'s span');
  t.equal(request.name, 'GET /orders/:id', 'named after the method and the route (http.route)');
  t.equal(request.service, 'permgate');
  t.match(request.attributes, { 'http.request.method': 'GET', 'http.route': '/orders/:id', 'url.path': '/orders/7', 'http.response.status_code': 200, 'permgate.subject': 'alice' });
  t.equal(request.attributes['permgate.request_id'], res.headers.get('x-request-id'), 'the span names the request id the client was given');

  const stages = childrenOf(otlp.spans, request);
  t.same(stages.map((span) => span.name), STAGES, 'one child span per stage, in journey order');
  for (const span of stages) t.equal(span.traceId, TRACE_ID, `${span.name} is in the same trace`);
  const forward = stages.find((span) => span.name === 'forward')!;
  t.equal(forward.kind, 3, 'the forward span is the client span of the call to the upstream');
  t.equal(sent![2], forward.spanId, 'the upstream\'s parent is the forward span');
  t.ok(BigInt(forward.endTimeUnixNano) <= BigInt(request.endTimeUnixNano), 'the forward span ends within the request');
  t.equal(otlp.spans.length, 1 + STAGES.length, 'nothing else was exported');
  t.equal(otlp.requests[0]!['x-collector-key'], 'k-123', 'tracing.otlp.headers go with every export');
});

t.test('a denial: the authorize span names the missing permission, the 403 body the request id, the log line the code, trace id and request id', async (t) => {
  const otlp = await collector(t);
  const lines: LogLine[] = [];
  const { gw } = await gatewayWithUpstream(t, (url) => yaml(url, otlp.url), {}, { logger: capturedLogger(lines) });
  const res = await fetch(`${gw.url}/orders/7`, { method: 'DELETE', headers: { authorization: `Bearer ${await token({ sub: 'alice' })}` } });
  t.equal(res.status, 403);
  const requestId = res.headers.get('x-request-id');
  t.same(await res.json(), { error: { code: 'PG_FORBIDDEN', message: 'the caller lacks a permission this route requires', detail: 'missing permission order:delete', requestId } }, 'the 403 body carries the request id');
  await gw.close();

  const request = otlp.spans.find((span) => span.kind === 2)!;
  t.match(request.attributes, { 'http.response.status_code': 403, 'permgate.refusal.code': 'PG_FORBIDDEN', 'permgate.refusal.stage': 'authorize' });
  t.equal(request.status.code, 0, 'a refusal is not an error of the server span (only 5xx are)');
  const stages = childrenOf(otlp.spans, request);
  t.same(stages.map((span) => span.name), ['normalize-path', 'match-route', 'check-body-size', 'authenticate', 'check-revocation', 'authorize'], 'no span for the stages that never ran');
  const authorize = stages.find((span) => span.name === 'authorize')!;
  t.match(authorize.attributes, { 'permgate.refusal.code': 'PG_FORBIDDEN', 'permgate.refusal.status': 403, 'permgate.permission': 'order:delete' });
  t.equal(authorize.status.code, 2, 'the stage that refused stands out');

  const refused = lines.find((line) => line.msg === 'request refused');
  t.ok(refused, 'the refusal was logged');
  t.match(refused, { code: 'PG_FORBIDDEN', stage: 'authorize', permission: 'order:delete', reason: 'missing', subject: 'alice', reqId: requestId, traceId: request.traceId });
});

t.test('an invalid incoming traceparent is replaced by a new trace, never passed on (nor its tracestate)', async (t) => {
  const otlp = await collector(t);
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => yaml(url, otlp.url));
  const invalid = [
    `00-${TRACE_ID.toUpperCase()}-${CALLER_SPAN}-01`, // upper-case hex
    `00-00000000000000000000000000000000-${CALLER_SPAN}-01`, // all-zero trace id
    `00-${TRACE_ID}-0000000000000000-01`, // all-zero parent
    `ff-${TRACE_ID}-${CALLER_SPAN}-01`, // forbidden version
    `00-${TRACE_ID}-${CALLER_SPAN}-01-extra`, // version 00 has four fields
    'garbage',
  ];
  for (const traceparent of invalid) {
    const res = await fetch(`${gw.url}/public/x`, { headers: { traceparent, tracestate: 'vendor=abc' } });
    t.equal(res.status, 200);
    await res.arrayBuffer();
  }
  await gw.close();
  t.equal(upstream.requests.length, invalid.length);
  const traces = new Set<string>();
  for (const [i, request] of upstream.requests.entries()) {
    const sent = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(String(request.headers.traceparent));
    t.ok(sent, `${invalid[i]!}: replaced by a valid traceparent`);
    t.not(sent![1], TRACE_ID, 'of a new trace');
    t.equal(request.headers.tracestate, undefined, 'the tracestate of a trace not continued is dropped');
    traces.add(sent![1]!);
  }
  t.equal(traces.size, invalid.length, 'each request its own trace');
  const roots = otlp.spans.filter((span) => span.kind === 2);
  t.equal(roots.length, invalid.length);
  for (const root of roots) t.equal(root.parentSpanId, '', 'a new trace: the request span is its root');
});

t.test('sampling 0 exports nothing, and incomingSampled: ratio keeps a caller from forcing a trace; the trace id still goes upstream', async (t) => {
  const otlp = await collector(t);
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => yaml(url, otlp.url, '  sampling: 0\n  incomingSampled: ratio\n'));
  for (const headers of [{}, { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01` }] as Record<string, string>[]) {
    const res = await fetch(`${gw.url}/public/x`, { headers });
    t.equal(res.status, 200);
    await res.arrayBuffer();
  }
  await gw.close();
  t.equal(otlp.spans.length, 0, 'no span reached the collector');
  t.equal(otlp.requests.length, 0, 'no export was even attempted');
  t.match(String(upstream.requests[0]!.headers.traceparent), /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/, 'a new trace, not sampled');
  t.match(String(upstream.requests[1]!.headers.traceparent), new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-00$`), 'the caller\'s trace continued, not sampled');
});

t.test('sampling 0 with incomingSampled: follow (the default) records a trace the caller sampled, and only that one', async (t) => {
  const otlp = await collector(t);
  const { gw } = await gatewayWithUpstream(t, (url) => yaml(url, otlp.url, '  sampling: 0\n'));
  for (const headers of [{}, { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01` }, { traceparent: `00-${'1'.repeat(32)}-${CALLER_SPAN}-00` }] as Record<string, string>[]) {
    const res = await fetch(`${gw.url}/public/x`, { headers });
    await res.arrayBuffer();
  }
  await gw.close();
  t.same([...new Set(otlp.spans.map((span) => span.traceId))], [TRACE_ID], 'only the caller-sampled trace was exported');
});
