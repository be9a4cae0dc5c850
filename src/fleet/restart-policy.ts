// When the supervisor starts a dead worker again, and when it gives up (issue 12): exponential backoff per worker
// slot, forgotten once a worker has lived long enough; a fleet whose workers keep dying before they serve is a
// broken deployment (a port taken, a store file, a bug at start), and restarting it forever would hide that.

export interface RestartPolicyOptions {
  /** The first restart waits this long (ms); each further one in a row twice as long… */
  readonly initialDelay: number;
  /** …up to this. */
  readonly maxDelay: number;
  /** A worker that lived this long resets its slot's backoff. */
  readonly stableAfter: number;
  /** This many workers in a row dying before they served: give up. */
  readonly startFailures: number;
}

export const RESTART_POLICY: RestartPolicyOptions = { initialDelay: 100, maxDelay: 10_000, stableAfter: 30_000, startFailures: 3 };

export type RestartDecision =
  | { readonly action: 'restart'; readonly delay: number }
  | { readonly action: 'give-up'; readonly failures: number };

/**
 * @example
 * const policy = new RestartPolicy(RESTART_POLICY);
 * policy.died(1, { lived: 50, served: false });   // { action: 'restart', delay: 100 }
 * policy.died(1, { lived: 50, served: false });   // { action: 'restart', delay: 200 }
 */
export class RestartPolicy {
  readonly #options: RestartPolicyOptions;
  /** Restarts in a row, per worker slot. */
  readonly #streaks = new Map<number, number>();
  /** Workers in a row, across slots, that died before they served. */
  #startFailures = 0;

  constructor(options: RestartPolicyOptions = RESTART_POLICY) {
    this.#options = options;
  }

  /** A worker began serving: the fleet can start, so the start-failure count begins again. */
  served(): void {
    this.#startFailures = 0;
  }

  /** The worker in `slot` died after `lived` ms; `served` tells whether it ever listened. */
  died(slot: number, { lived, served }: { readonly lived: number; readonly served: boolean }): RestartDecision {
    const { initialDelay, maxDelay, stableAfter, startFailures } = this.#options;
    if (!served) {
      this.#startFailures++;
      if (this.#startFailures >= startFailures) return { action: 'give-up', failures: this.#startFailures };
    }
    const streak = lived >= stableAfter ? 0 : (this.#streaks.get(slot) ?? 0);
    this.#streaks.set(slot, streak + 1);
    return { action: 'restart', delay: Math.min(maxDelay, initialDelay * 2 ** streak) };
  }
}
