// The seam between the limiter and where buckets live. One call checks every bucket of a request and updates
// them all or none (a refused request spends no budget), in one round-trip for Redis.
import type { Rate } from '../config/units.js';

export interface BucketCheck {
  readonly key: string;
  readonly rate: Rate;
}

export interface BucketResult {
  readonly remaining: number;
  readonly resetMs: number;
}

export interface RateDecision {
  /** Index of the first bucket that refused, or -1 when every bucket allowed the request. */
  readonly refusedAt: number;
  readonly retryAfterMs: number;
  readonly buckets: readonly BucketResult[];
}

export interface RateLimitStore {
  consume(checks: readonly BucketCheck[]): RateDecision | Promise<RateDecision>;
}
