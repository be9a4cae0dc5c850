// Stage (only when `tracing` is configured): begins the request's trace — continued from a valid incoming
// traceparent, else new — and gives the request's log lines its trace id. Once the exchange is over it ends the
// request's span with the answer. It never refuses.
import type { RequestTracer } from '../tracing/request-tracer.js';
import type { Stage } from './stage.js';

export function traceStage(tracer: RequestTracer): Stage {
  return {
    name: 'trace',
    run(ctx) {
      const trace = tracer.begin({ traceparent: ctx.headers.traceparent, tracestate: ctx.headers.tracestate }, ctx.method, ctx.requestId, ctx.startedAt);
      ctx.trace = trace;
      if (ctx.log.child !== undefined) ctx.log = ctx.log.child({ traceId: trace.traceId });
    },
    finish(ctx) {
      const refusal = ctx.refusal;
      ctx.trace?.end({
        status: ctx.status,
        route: ctx.match?.route.pattern,
        path: ctx.target?.path,
        subject: ctx.identity?.subject,
        refusal: refusal && { stage: refusal.stage, code: refusal.error.code },
        shadowRefusals: ctx.shadowRefusals?.length ?? 0,
        upstreamDoneAt: ctx.upstreamDoneAt,
      });
    },
  };
}
