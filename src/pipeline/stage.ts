// The one interface every stage of the journey implements. A stage continues (returns nothing), ends the exchange
// with one coded reply (returns the GatewayError), or hands the exchange back to the HTTP adapter until the body is
// read (returns SUSPEND). Stages do not throw to refuse: a refusal is a value, so the runner can record it and, for a
// stage in shadow mode, let the request go on (journey-runner.ts).
import { isGatewayError, type GatewayError } from '../errors.js';
import type { RequestContext } from './request-context.js';

/** Hands the exchange back to the adapter; the journey resumes at the next stage once the body is read. */
export const SUSPEND: unique symbol = Symbol('permgate.suspend');

/** Nothing: continue. A GatewayError: answer with it now. SUSPEND: wait for the request body. */
export type StageOutcome = void | GatewayError | typeof SUSPEND;

/**
 * `enforce`: a refusal answers the client. `shadow`: the refusal is recorded and the request continues as if the
 * stage had passed.
 */
export type StageMode = 'enforce' | 'shadow';

export interface Stage {
  /** Names the stage in logs, in the record of who refused, and in docs; matches its file name. */
  readonly name: string;
  /**
   * True when the journey can go on past a refusal of this stage (it decides, it does not produce what later stages
   * need): only such a stage may run in shadow mode.
   */
  readonly shadowable?: boolean;
  /** Synchronous stages stay synchronous, so a journey with no I/O allocates no promise. */
  run(ctx: RequestContext): StageOutcome | Promise<StageOutcome>;
  /** Once the exchange is over (the response finished, or the client left), in journey order. */
  finish?(ctx: RequestContext): void;
}

/**
 * What a stage returns when a domain call refused by throwing: the GatewayError as its outcome. Anything else is a
 * bug and is thrown on, for the runner to answer 500 and log.
 */
export function refusal(err: unknown): GatewayError {
  if (isGatewayError(err)) return err;
  throw err;
}
