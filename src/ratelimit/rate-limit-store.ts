// The seam between the limiter and where buckets live. One call checks every bucket of a request and updates
// them all or none (a refused request spends no budget), in one round-trip for Redis.
import type { Rate } from '../config/units.js';

export interface BucketCheck {
  readonly key: string;
  readonly rate: Rate;
  /**
   * What the bucket limits (a user, an address, a route): a store that spreads buckets over shards places it by this,
   * so one client's buckets share a shard. Undefined: the key itself.
   */
  readonly owner?: string;
  /**
   * Shared by every client (global, route): a store that spreads buckets may lease slices of it instead of spending it
   * per request, so one shard does not see every request.
   */
  readonly shared?: boolean;
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
  /** Calls `listener` for each call that passed its deadline while the store was still answering (waited for, not failed). */
  onLateCall?(listener: () => void): void;
}
