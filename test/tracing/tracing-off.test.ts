// Without a `tracing` section, tracing costs nothing and changes nothing: no OpenTelemetry SDK or exporter module is
// loaded, the journey has no trace stage, no traceparent is invented, and a client's traceparent and tracestate reach
// the upstream untouched (as through any proxy that does not trace). With the section, the SDK is loaded at start.
import { createRequire } from 'node:module';
import t from 'tap';
import { gatewayWithUpstream } from '../helpers/gateway-under-test.js';
import { startOtlpCollector } from '../helpers/otlp-collector.js';

const require = createRequire(import.meta.url);
/** OpenTelemetry's SDK and exporter modules in this process (they are CommonJS, so the module cache lists them). */
const sdkModules = (): string[] => Object.keys(require.cache).filter((file) => /@opentelemetry[\\/](sdk-trace|exporter-trace|otlp-)/.test(file));

const yaml = (upstream: string, tracing = ''): string => `
upstreams:
  svc: { url: "${upstream}" }
routes:
  - { path: /public/**, upstream: svc, auth: none }
${tracing}`;

t.test('tracing off: nothing of OpenTelemetry is loaded, no traceparent is invented, a client\'s passes through untouched', async (t) => {
  const { gw, upstream } = await gatewayWithUpstream(t, (url) => yaml(url));
  const sent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  for (const headers of [{}, { traceparent: sent, tracestate: 'vendor=abc' }, { traceparent: 'not-a-traceparent' }] as Record<string, string>[]) {
    const res = await fetch(`${gw.url}/public/x`, { headers });
    t.equal(res.status, 200);
    await res.arrayBuffer();
  }
  t.equal(upstream.requests[0]!.headers.traceparent, undefined, 'none invented');
  t.equal(upstream.requests[1]!.headers.traceparent, sent, 'the client\'s, unchanged');
  t.equal(upstream.requests[1]!.headers.tracestate, 'vendor=abc');
  t.equal(upstream.requests[2]!.headers.traceparent, 'not-a-traceparent', 'not even checked: the gateway takes no part in the trace');
  t.same(sdkModules(), [], 'no OpenTelemetry SDK or exporter module was loaded');
});

t.test('tracing on: the SDK is loaded when the gateway starts (the check above can see it)', async (t) => {
  const otlp = await startOtlpCollector();
  t.teardown(() => otlp.close());
  const { gw } = await gatewayWithUpstream(t, (url) => yaml(url, `tracing: { otlp: { url: "${otlp.url}" } }`));
  t.ok(sdkModules().length > 0, 'the SDK and exporter are in the module cache');
  await (await fetch(`${gw.url}/public/x`)).arrayBuffer();
  await gw.close();
  t.equal(otlp.spans.filter((span) => span.kind === 2).length, 1, 'and the request was traced');
});
