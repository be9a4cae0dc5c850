// The OpenTelemetry implementation of RequestTracer: a span per request (kind server) and one per stage, exported in
// batches over OTLP/HTTP (JSON). Loaded only when the config has a `tracing` section (load-tracer.ts). The provider is
// this gateway's own, not registered globally: two gateways in one process (tests, a reload) do not share state.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_HTTP_ROUTE, ATTR_SERVICE_NAME, ATTR_URL_PATH } from '@opentelemetry/semantic-conventions';
import type { TracingConfig } from '../config/tracing-types.js';
import type { LogPort } from '../observability/log-port.js';
import type { RequestOutcome, RequestTrace, RequestTracer, StageSpan, UpstreamTraceHeaders } from './request-tracer.js';
import { formatTraceparent, parseTraceparent, validTracestate } from './trace-context.js';

/** A failed export is logged at most this often: a collector that is down must not flood the log. */
const EXPORT_FAILURE_LOG_EVERY = 60_000;

export class OtelTracer implements RequestTracer {
  readonly #provider: BasicTracerProvider;
  readonly #tracer: Tracer;

  constructor(config: TracingConfig, log: LogPort) {
    const ratio = new TraceIdRatioBasedSampler(config.sampling);
    // Parent-based (the OpenTelemetry default): a span the gateway starts under its own request span follows that
    // span's decision; a caller's decision is followed only with `incomingSampled: follow`.
    const sampler = new ParentBasedSampler({ root: ratio, ...(config.incomingSampled === 'ratio' ? { remoteParentSampled: ratio, remoteParentNotSampled: ratio } : {}) });
    const exporter = new OTLPTraceExporter({ url: config.otlp.url, headers: { ...config.otlp.headers }, timeoutMillis: config.otlp.timeout });
    this.#provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName }),
      sampler,
      spanProcessors: [new BatchSpanProcessor(new LoggedExporter(exporter, log, config.otlp.url), { exportTimeoutMillis: config.otlp.timeout })],
    });
    this.#tracer = this.#provider.getTracer('permgate');
  }

  begin(incoming: { readonly traceparent: string | string[] | undefined; readonly tracestate: string | string[] | undefined }, method: string, requestId: string, startedAt: number | undefined): RequestTrace {
    const parent = parseTraceparent(incoming.traceparent);
    const parentContext = parent === undefined
      ? ROOT_CONTEXT
      : trace.setSpanContext(ROOT_CONTEXT, { traceId: parent.traceId, spanId: parent.spanId, traceFlags: parent.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE, isRemote: true });
    const span = this.#tracer.startSpan(method, { kind: SpanKind.SERVER, startTime: startedAt, attributes: { [ATTR_HTTP_REQUEST_METHOD]: method, 'permgate.request_id': requestId } }, parentContext);
    // The caller's tracestate belongs to the caller's trace: it goes on only with that trace.
    return new OtelRequestTrace(this.#tracer, span, method, parent === undefined ? undefined : validTracestate(incoming.tracestate));
  }

  async shutdown(): Promise<void> {
    await this.#provider.shutdown();
  }
}

/** A stage span of an unsampled trace: nothing is recorded, so nothing is made. */
const UNRECORDED: StageSpan = { refused() {}, failed() {}, end() {} };

class OtelRequestTrace implements RequestTrace {
  readonly traceId: string;
  readonly #tracer: Tracer;
  readonly #span: Span;
  readonly #method: string;
  readonly #tracestate: string | undefined;
  /** Children are started under the request's span. */
  readonly #context: Context | undefined;
  /** The latest stage's span, and whether it is still open. */
  #current: OtelStageSpan | undefined;

  constructor(tracer: Tracer, span: Span, method: string, tracestate: string | undefined) {
    this.#tracer = tracer;
    this.#span = span;
    this.#method = method;
    this.#tracestate = tracestate;
    this.traceId = span.spanContext().traceId;
    this.#context = span.isRecording() ? trace.setSpan(ROOT_CONTEXT, span) : undefined;
  }

  stage(name: string, client: boolean): StageSpan {
    if (this.#context === undefined) return UNRECORDED;
    this.#current?.end();
    const span = this.#tracer.startSpan(name, { kind: client ? SpanKind.CLIENT : SpanKind.INTERNAL }, this.#context);
    return (this.#current = new OtelStageSpan(span, client));
  }

  upstream(): UpstreamTraceHeaders {
    const { traceId, spanId, traceFlags } = (this.#current?.span ?? this.#span).spanContext();
    return { traceparent: formatTraceparent(traceId, spanId, (traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED), tracestate: this.#tracestate };
  }

  end(outcome: RequestOutcome): void {
    const span = this.#span;
    if (!span.isRecording()) return;
    if (this.#current !== undefined && !this.#current.ended) this.#current.end(this.#current.client ? outcome.upstreamDoneAt : undefined);
    const attributes: Attributes = { [ATTR_HTTP_RESPONSE_STATUS_CODE]: outcome.status };
    if (outcome.route !== undefined) attributes[ATTR_HTTP_ROUTE] = outcome.route;
    if (outcome.path !== undefined) attributes[ATTR_URL_PATH] = outcome.path;
    if (outcome.subject !== undefined) attributes['permgate.subject'] = outcome.subject;
    if (outcome.refusal !== undefined) {
      attributes['permgate.refusal.code'] = outcome.refusal.code;
      attributes['permgate.refusal.stage'] = outcome.refusal.stage;
    }
    if (outcome.shadowRefusals > 0) attributes['permgate.shadow_refusals'] = outcome.shadowRefusals;
    span.setAttributes(attributes);
    span.updateName(outcome.route === undefined ? this.#method : `${this.#method} ${outcome.route}`);
    // A server span is an error only for the server's own failures (5xx); a refusal is the gateway doing its job.
    if (outcome.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.refusal?.code });
    span.end();
  }
}

class OtelStageSpan implements StageSpan {
  readonly span: Span;
  /** The span of the call to the upstream: it lasts until the upstream answered. */
  readonly client: boolean;
  ended = false;

  constructor(span: Span, client: boolean) {
    this.span = span;
    this.client = client;
  }

  refused(code: string, status: number, permission: string | undefined): void {
    const attributes: Attributes = { 'permgate.refusal.code': code, 'permgate.refusal.status': status };
    if (permission !== undefined) attributes['permgate.permission'] = permission;
    this.span.setAttributes(attributes);
    // The stage that refused stands out in a trace view; the request's span carries the answer.
    this.span.setStatus({ code: SpanStatusCode.ERROR, message: code });
  }

  failed(err: unknown): void {
    if (err instanceof Error) this.span.recordException(err);
    this.span.setStatus({ code: SpanStatusCode.ERROR, message: 'PG_INTERNAL' });
  }

  end(at?: number): void {
    if (this.ended) return;
    this.ended = true;
    this.span.end(at);
  }
}

/** The OTLP exporter, with its failures logged (at most once a minute, with how many batches failed since). */
class LoggedExporter implements SpanExporter {
  readonly #inner: SpanExporter;
  readonly #log: LogPort;
  readonly #url: string;
  #lastLogged = -Infinity;
  #failed = 0;

  constructor(inner: SpanExporter, log: LogPort, url: string) {
    this.#inner = inner;
    this.#log = log;
    this.#url = url;
  }

  export(spans: ReadableSpan[], done: Parameters<SpanExporter['export']>[1]): void {
    this.#inner.export(spans, (result) => {
      if (result.code !== 0) {
        this.#failed++;
        const at = Date.now();
        if (at - this.#lastLogged >= EXPORT_FAILURE_LOG_EVERY) {
          this.#lastLogged = at;
          // The endpoint without its query or credentials; the configured headers are never logged.
          const url = URL.parse(this.#url);
          this.#log.warn({ collector: url ? `${url.origin}${url.pathname}` : 'unparsable', batches: this.#failed, reason: result.error?.message }, 'spans could not be exported to the OTLP collector; they are dropped');
          this.#failed = 0;
        }
      }
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.#inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.#inner.forceFlush?.() ?? Promise.resolve();
  }
}
