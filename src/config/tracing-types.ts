// The `tracing` section, checked: where spans go (OTLP over HTTP) and which requests are traced.
import type { Milliseconds } from './units.js';

export interface OtlpConfig {
  /** The collector's traces endpoint, whole (`http://collector:4318/v1/traces`). */
  readonly url: string;
  /** Sent with every export (an API key for a hosted backend); never logged. */
  readonly headers: Readonly<Record<string, string>>;
  /** An export (and the flush at shutdown) gives up after this long. */
  readonly timeout: Milliseconds;
}

/**
 * `follow`: a valid incoming traceparent's sampled flag decides, as W3C Trace Context and OpenTelemetry's parent-based
 * sampler do. `ratio`: `sampling` decides every trace, continued or not, so a client cannot have its requests traced
 * by setting the flag.
 */
export type IncomingSampled = 'follow' | 'ratio';

export interface TracingConfig {
  readonly otlp: OtlpConfig;
  /** The share of new traces that are recorded and exported, 0 to 1. */
  readonly sampling: number;
  readonly incomingSampled: IncomingSampled;
  /** `service.name` of every span. */
  readonly serviceName: string;
}
