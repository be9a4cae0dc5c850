// Loads the OpenTelemetry SDK and the OTLP exporter only when the config asks for tracing: without a `tracing`
// section no OpenTelemetry module is imported (importing them costs about 100 ms and their memory), no span object is
// made, and the journey has no tracing stage (pipeline/traced-stage.ts).
import type { TracingConfig } from '../config/tracing-types.js';
import type { LogPort } from '../observability/log-port.js';
import type { RequestTracer } from './request-tracer.js';

export async function loadTracer(config: TracingConfig | undefined, log: LogPort): Promise<RequestTracer | undefined> {
  if (config === undefined) return undefined;
  const { OtelTracer } = await import('./otel-tracer.js');
  return new OtelTracer(config, log);
}
