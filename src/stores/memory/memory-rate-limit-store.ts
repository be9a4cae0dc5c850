// Buckets in this process: the embedded store's limiter, and each instance's fallback while Redis is down.
import { gcraStep, type BucketState } from '../../ratelimit/gcra.js';
import type { BucketCheck, RateDecision, RateLimitStore } from '../../ratelimit/rate-limit-store.js';

export class MemoryRateLimitStore implements RateLimitStore {
  readonly #tats = new Map<string, number>();
  readonly #now: () => number;
  #lastSweep = 0;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  consume(checks: readonly BucketCheck[]): RateDecision {
    const now = this.#now();
    this.#sweep(now);
    const states: BucketState[] = checks.map((check) => gcraStep(this.#tats.get(check.key), now, check.rate));
    const refusedAt = states.findIndex((state) => !state.allowed);
    if (refusedAt === -1) checks.forEach((check, i) => this.#tats.set(check.key, states[i]!.tat));
    return {
      refusedAt,
      retryAfterMs: Math.max(0, ...states.map((state) => state.retryAfterMs)),
      buckets: states.map((state) => ({ remaining: state.remaining, resetMs: state.resetMs })),
    };
  }

  /** A bucket whose TAT has passed is full again: forgetting it changes nothing, and bounds memory. */
  #sweep(now: number): void {
    if (now - this.#lastSweep < 10_000) return;
    this.#lastSweep = now;
    for (const [key, tat] of this.#tats) if (tat <= now) this.#tats.delete(key);
  }
}
