// Runs the journey: each stage in order until one refuses, one suspends it (to read the body), or all have passed.
// A stage in shadow mode that refuses has its refusal recorded and the request goes on as if it had passed; a stage
// that fails with anything but a GatewayError is a bug, answered 500 whatever its mode (when in doubt, deny). Once the exchange is over, every
// stage's `finish` runs, so the record is one more stage rather than code beside the journey.
import { GatewayError, isGatewayError } from '../errors.js';
import type { CompiledRoute } from '../routing/route-table.js';
import type { Refusal, RequestContext } from './request-context.js';
import { SUSPEND, type Stage, type StageMode, type StageOutcome } from './stage.js';

export interface Journey {
  readonly stages: readonly Stage[];
  /** One per stage: enforce, or shadow. */
  readonly modes: readonly StageMode[];
  /** The modes of routes that shadow stages (their `shadow`), prepared at load; other routes use `modes`. */
  readonly routeModes?: ReadonlyMap<CompiledRoute, readonly StageMode[]>;
  /** A stage in shadow mode refused, and the request went on. */
  onShadowRefusal(ctx: RequestContext, refusal: Refusal): void;
}

/** `passed`: every stage passed. `suspended`: resume at `ctx.resumeAt`. `refused`: `ctx.refusal` says who and why. */
export type JourneyEnd = 'passed' | 'suspended' | 'refused';

/**
 * Runs the stages from `from`. Synchronous stages stay synchronous, so a journey with no I/O allocates no promise;
 * the first stage that returns a promise switches the rest of the run to async.
 */
export function runJourney(journey: Journey, ctx: RequestContext, from = 0): JourneyEnd | Promise<JourneyEnd> {
  const { stages } = journey;
  for (let i = from; i < stages.length; i++) {
    let outcome: StageOutcome | Promise<StageOutcome>;
    try {
      outcome = stages[i]!.run(ctx);
    } catch (err) {
      outcome = asOutcome(ctx, stages[i]!, err);
    }
    if (outcome === undefined) continue;
    if (outcome instanceof Promise) {
      return outcome.then(
        (settled) => (settled === undefined ? runJourney(journey, ctx, i + 1) : (conclude(journey, ctx, i, settled) ?? runJourney(journey, ctx, i + 1))),
        (err: unknown) => conclude(journey, ctx, i, asOutcome(ctx, stages[i]!, err)) ?? runJourney(journey, ctx, i + 1),
      );
    }
    const end = conclude(journey, ctx, i, outcome);
    if (end !== undefined) return end;
  }
  return 'passed';
}

/** Runs every stage's `finish`, in journey order; one that fails is logged and the others still run. */
export function finishJourney(journey: Journey, ctx: RequestContext): void {
  for (const stage of journey.stages) {
    if (stage.finish === undefined) continue;
    try {
      stage.finish(ctx);
    } catch (err) {
      ctx.log.error({ err, stage: stage.name }, 'finishing a stage failed');
    }
  }
}

/** Undefined when the journey goes on (a shadowed refusal). */
function conclude(journey: Journey, ctx: RequestContext, index: number, outcome: GatewayError | typeof SUSPEND): JourneyEnd | undefined {
  if (outcome === SUSPEND) {
    ctx.resumeAt = index + 1;
    return 'suspended';
  }
  const refusal: Refusal = { stage: journey.stages[index]!.name, error: outcome };
  // Looked up only once a stage has refused: a request that passes pays nothing for shadow mode.
  const modes = (ctx.match === undefined ? undefined : journey.routeModes?.get(ctx.match.route)) ?? journey.modes;
  if (modes[index] === 'shadow' && outcome.code !== 'PG_INTERNAL') {
    (ctx.shadowRefusals ??= []).push(refusal);
    journey.onShadowRefusal(ctx, refusal);
    return undefined;
  }
  ctx.refusal = refusal;
  return 'refused';
}

/**
 * What a stage threw, as its outcome: a GatewayError is taken as the refusal it names (a domain call the stage did
 * not wrap); anything else is a bug.
 */
function asOutcome(ctx: RequestContext, stage: Stage, err: unknown): GatewayError {
  if (isGatewayError(err)) return err;
  ctx.log.error({ err, stage: stage.name }, 'pipeline stage failed');
  return new GatewayError('PG_INTERNAL', { cause: err });
}
