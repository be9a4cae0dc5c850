// The journey with tracing on: the trace stage first, and every other stage wrapped so it runs inside a span of its
// own. Built at load only when `tracing` is configured; without it the journey is the plain list, so tracing costs a
// request nothing when it is off (no wrapper call, no span object, no OpenTelemetry module loaded).
import { isGatewayError } from '../errors.js';
import type { RequestTracer, StageSpan } from '../tracing/request-tracer.js';
import type { RequestContext } from './request-context.js';
import { SUSPEND, type Stage, type StageOutcome } from './stage.js';
import { traceStage } from './trace.js';

/** The journey's stages as they are without a tracer; with one, the trace stage in front and every stage traced. */
export function withTracing(tracer: RequestTracer | undefined, stages: Stage[]): Stage[] {
  return tracer === undefined ? stages : [traceStage(tracer), ...stages.map(tracedStage)];
}

/**
 * `stage` inside a span. A refusal is marked on it whatever the stage's mode (a route's mode is known only to the
 * runner); the request's span counts the refusals that were shadowed. The span ends when the stage's outcome is known, except: read-body's (SUSPEND) lasts until
 * the journey resumes with the body, and forward's lasts until the upstream answered (the trace ends it), since the
 * forwarder answers the client itself.
 */
export function tracedStage(stage: Stage): Stage {
  const client = stage.name === 'forward';
  const settle = (ctx: RequestContext, span: StageSpan, outcome: StageOutcome): StageOutcome => {
    if (outcome === undefined) {
      if (!client) span.end();
    } else if (outcome !== SUSPEND) {
      span.refused(outcome.code, outcome.status, ctx.denial?.code);
      span.end();
    }
    return outcome;
  };
  const fail = (span: StageSpan, err: unknown): never => {
    // A GatewayError thrown is a refusal the runner takes as the outcome; anything else is a bug.
    if (isGatewayError(err)) span.refused(err.code, err.status, undefined);
    else span.failed(err);
    span.end();
    throw err;
  };
  const traced: Stage = {
    name: stage.name,
    shadowable: stage.shadowable,
    run(ctx) {
      const trace = ctx.trace;
      if (trace === undefined) return stage.run(ctx);
      const span = trace.stage(stage.name, client);
      let outcome: StageOutcome | Promise<StageOutcome>;
      try {
        outcome = stage.run(ctx);
      } catch (err) {
        return fail(span, err);
      }
      if (outcome instanceof Promise) return outcome.then((settled) => settle(ctx, span, settled), (err: unknown) => fail(span, err));
      return settle(ctx, span, outcome);
    },
  };
  if (stage.finish !== undefined) {
    const finish = stage.finish.bind(stage);
    return { ...traced, finish };
  }
  return traced;
}
