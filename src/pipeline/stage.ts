// The one interface every pipeline stage implements: continue (return), or end the exchange (throw a GatewayError).
import type { RequestContext } from './request-context.js';

export interface Stage {
  /** Names the stage in logs and docs; matches its file name. */
  readonly name: string;
  /** Returns nothing to continue, or a promise of nothing; throws a GatewayError to answer the client now. */
  run(ctx: RequestContext): void | Promise<void>;
}

/**
 * Runs stages in order. Synchronous stages stay synchronous, so a journey with no I/O allocates no promise;
 * the first stage that returns a promise switches the rest of the journey to async.
 */
export function runStages(stages: readonly Stage[], ctx: RequestContext, from = 0): void | Promise<void> {
  for (let i = from; i < stages.length; i++) {
    const pending = stages[i]!.run(ctx);
    if (pending !== undefined) return pending.then(() => runStages(stages, ctx, i + 1));
  }
}
