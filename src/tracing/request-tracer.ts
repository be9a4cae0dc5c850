// What the pipeline sees of tracing: a tracer that begins a request's trace, and the trace's spans. Types only, so
// the journey and the forwarder name them without loading OpenTelemetry; the implementation (otel-tracer.ts) is
// loaded by load-tracer.ts only when the config has a `tracing` section.

/** The headers a continued or new trace sends to the upstream. */
export interface UpstreamTraceHeaders {
  readonly traceparent: string;
  /** The caller's tracestate, passed on with a continued trace; undefined: none is sent. */
  readonly tracestate: string | undefined;
}

/** How the exchange ended, for the request's span. */
export interface RequestOutcome {
  readonly status: number;
  /** The matched route's pattern (`http.route`); undefined: none matched. */
  readonly route: string | undefined;
  /** The canonical path; undefined when the path was refused before it was canonical. */
  readonly path: string | undefined;
  readonly subject: string | undefined;
  /** The code that ended the exchange, and the stage that decided it. */
  readonly refusal: { readonly stage: string; readonly code: string } | undefined;
  /** Stages in shadow mode that would have refused. */
  readonly shadowRefusals: number;
  /** performance.now() when the upstream answered: when the forward span ends. */
  readonly upstreamDoneAt: number | undefined;
}

/** One stage's span. */
export interface StageSpan {
  /** The stage refused with this code (in shadow mode too); `permission`: the permission code that was missing or denied. */
  refused(code: string, status: number, permission: string | undefined): void;
  /** The stage threw: a bug, answered 500. */
  failed(err: unknown): void;
  end(): void;
}

export interface RequestTrace {
  /** 32 lower-case hex digits, for log lines. */
  readonly traceId: string;
  /**
   * Starts a stage's span as a child of the request's, and ends the previous one if it was left open (read-body's
   * span lasts until the body is read and the journey resumes). `client`: the span of the call to the upstream.
   */
  stage(name: string, client: boolean): StageSpan;
  /** The traceparent for the upstream names the latest stage's span (forward's) as its parent. */
  upstream(): UpstreamTraceHeaders;
  /** Ends the spans still open (forward's, at `upstreamDoneAt`) and then the request's span. */
  end(outcome: RequestOutcome): void;
}

export interface RequestTracer {
  /**
   * Begins a request's trace: continued from a valid incoming traceparent, else a new one (an invalid traceparent is
   * dropped, never passed on). `startedAt`: performance.now() at arrival.
   */
  begin(incoming: { readonly traceparent: string | string[] | undefined; readonly tracestate: string | string[] | undefined }, method: string, requestId: string, startedAt: number | undefined): RequestTrace;
  /** Exports what is buffered and stops; resolves once done or `otlp.timeout` passed. */
  shutdown(): Promise<void>;
}
