// One circuit breaker (opossum) per upstream, or per route that has its own: failures are connection errors,
// timeouts and the configured 5xx statuses; 4xx never counts. While open, calls are refused at once (the caller
// answers with the route's fallback); after `openFor`, one probe goes through (half-open) and closes it on success.
import CircuitBreaker from 'opossum';
import type { BreakerConfig } from '../config/resilience-types.js';
import type { GatewayError } from '../errors.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerEvents {
  onTransition(breaker: string, to: BreakerState): void;
}

/** The settle callback of one call in flight, kept on the request's context. */
export interface BreakerCall {
  settle(outcome: number | GatewayError | undefined): void;
}

/** Rejects a call that failed by the breaker's rules; the request itself was already answered. */
const FAILED = Object.freeze(new Error('upstream call failed'));

export class UpstreamBreaker {
  readonly name: string;
  readonly #breaker: CircuitBreaker<[(call: BreakerCall) => void], void>;
  readonly #failOn: ReadonlySet<number>;
  #openedAt = 0;
  readonly #openFor: number;

  constructor(name: string, config: BreakerConfig, events: BreakerEvents) {
    this.name = name;
    this.#failOn = config.failOn;
    this.#openFor = config.openFor;
    const failOn = this.#failOn;
    // The action starts the forwarding and resolves when its outcome is known (onUpstreamDone → settle).
    const action = (start: (call: BreakerCall) => void): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        let settled = false;
        start({
          settle(outcome) {
            if (settled) return;
            settled = true;
            const failed = outcome !== undefined && (typeof outcome === 'number' ? failOn.has(outcome) : outcome.code !== 'PG_BODY_TOO_LARGE');
            if (failed) reject(FAILED);
            else resolve();
          },
        });
      });
    this.#breaker = new CircuitBreaker(action, {
      name,
      timeout: config.timeout ?? false,
      errorThresholdPercentage: config.failureRate,
      volumeThreshold: config.minRequests,
      rollingCountTimeout: config.window,
      rollingCountBuckets: 10,
      resetTimeout: config.openFor,
    });
    this.#breaker.on('open', () => {
      this.#openedAt = Date.now();
      events.onTransition(name, 'open');
    });
    this.#breaker.on('halfOpen', () => events.onTransition(name, 'half-open'));
    this.#breaker.on('close', () => events.onTransition(name, 'closed'));
  }

  get state(): BreakerState {
    return this.#breaker.opened ? 'open' : this.#breaker.halfOpen ? 'half-open' : 'closed';
  }

  /** Seconds until the next probe may go through: the client's Retry-After. */
  retryAfter(): number {
    return Math.max(1, Math.ceil((this.#openedAt + this.#openFor - Date.now()) / 1000));
  }

  /**
   * Calls `start` under the breaker. Resolves true when the call went through (its outcome is reported by
   * `settle`), false when the breaker refused it without calling `start` (open, or half-open with its probe out).
   */
  run(start: (call: BreakerCall) => void): Promise<boolean> {
    return this.#breaker.fire(start).then(
      () => true,
      (err: Error & { code?: string }) => err.code !== 'EOPENBREAKER',
    );
  }

  shutdown(): void {
    this.#breaker.shutdown();
  }
}
