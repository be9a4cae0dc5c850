// The `tracing` section's shape and defaults: OpenTelemetry spans exported over OTLP/HTTP; absent: no tracing at all.
import { choice, duration, mapOf, mapping, optional, ratio, text } from './kinds.js';

export const TracingSchema = mapping({
  otlp: mapping({
    url: text('The collector\'s OTLP/HTTP traces endpoint, whole: http://collector:4318/v1/traces (JSON encoding)'),
    headers: optional(mapOf(text('A header value; write ${ENV_VAR} for a secret', { allowEmpty: true }), 'Headers sent with every export (an API key); never logged', { default: {} })),
    timeout: optional(duration('An export, and the flush at shutdown, gives up after this long', '10s')),
  }, 'Where spans are sent'),
  sampling: optional(ratio('The share of new traces recorded and exported (0 to 1); a trace the gateway continues follows incomingSampled', 1)),
  incomingSampled: optional(choice(['follow', 'ratio'], 'follow: a valid incoming traceparent\'s sampled flag decides (W3C parent-based); ratio: sampling decides every trace, so clients cannot force tracing', 'follow')),
  serviceName: optional(text('service.name of every span', { default: 'permgate' })),
}, 'OpenTelemetry tracing: a span per request and per stage, W3C traceparent to the upstream; absent: off, and nothing of it is loaded');
