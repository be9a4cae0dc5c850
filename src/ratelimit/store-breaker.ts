// A breaker on the shared rate-limit store. Each Redis command already gives up after store.commandTimeout; this
// stops paying even that while Redis is failing: once half the calls in the window fail, the limiter goes straight to
// its local share, and one probe a second finds out when Redis is back.
import CircuitBreaker from 'opossum';
import type { BreakerState } from '../upstream/circuit-breaker.js';
import type { BucketCheck, RateDecision, RateLimitStore } from './rate-limit-store.js';

export class StoreBreaker implements RateLimitStore {
  readonly #breaker: CircuitBreaker<[readonly BucketCheck[]], RateDecision>;

  constructor(store: RateLimitStore, events: { onTransition(state: BreakerState): void }) {
    this.#breaker = new CircuitBreaker(async (checks: readonly BucketCheck[]) => store.consume(checks), {
      name: 'store:rate-limits',
      timeout: false, // the command timeout bounds each call
      errorThresholdPercentage: 50,
      volumeThreshold: 10,
      rollingCountTimeout: 5_000,
      rollingCountBuckets: 5,
      resetTimeout: 1_000,
    });
    this.#breaker.on('open', () => events.onTransition('open'));
    this.#breaker.on('halfOpen', () => events.onTransition('half-open'));
    this.#breaker.on('close', () => events.onTransition('closed'));
  }

  get state(): BreakerState {
    return this.#breaker.opened ? 'open' : this.#breaker.halfOpen ? 'half-open' : 'closed';
  }

  consume(checks: readonly BucketCheck[]): Promise<RateDecision> {
    return this.#breaker.fire(checks);
  }

  shutdown(): void {
    this.#breaker.shutdown();
  }
}
