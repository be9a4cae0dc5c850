// A breaker on the shared rate-limit store. Each Redis command already gives up after store.commandTimeout; this
// stops paying even that while Redis is failing: once half the calls in the window fail, the limiter goes straight to
// its local share, and one probe a second finds out when Redis is back.
import { Breaker, type BreakerState } from '../upstream/circuit-breaker.js';
import type { BucketCheck, RateDecision, RateLimitStore } from './rate-limit-store.js';

const OPEN = Object.freeze(new Error('the rate-limit store breaker is open'));

export class StoreBreaker implements RateLimitStore {
  readonly #store: RateLimitStore;
  readonly #breaker: Breaker;

  constructor(store: RateLimitStore, events: { onTransition(state: BreakerState): void }, now: () => number) {
    this.#store = store;
    this.#breaker = new Breaker(
      'store:rate-limits',
      { failureRate: 50, minRequests: 10, window: 5_000, openFor: 1_000 },
      { onTransition: (_name, state) => events.onTransition(state) },
      now,
    );
  }

  get state(): BreakerState {
    return this.#breaker.state;
  }

  /** Throws at once while open (the limiter then uses its local share). */
  consume(checks: readonly BucketCheck[]): RateDecision | Promise<RateDecision> {
    const call = this.#breaker.admit();
    if (call === undefined) throw OPEN;
    let decided: RateDecision | Promise<RateDecision>;
    try {
      decided = this.#store.consume(checks);
    } catch (err) {
      call.settle(err as Error);
      throw err;
    }
    if (!(decided instanceof Promise)) {
      call.settle(undefined);
      return decided;
    }
    return decided.then(
      (decision) => {
        call.settle(undefined);
        return decision;
      },
      (err: Error) => {
        call.settle(err);
        throw err;
      },
    );
  }

  shutdown(): void {
    this.#breaker.shutdown();
  }
}
