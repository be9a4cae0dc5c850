// GCRA (generic cell rate algorithm): one number per bucket, the theoretical arrival time (TAT). Smooth, with a
// burst of up to `limit`, and no window boundary that lets 2x the limit through. The Redis store runs the same
// arithmetic in Lua (stores/redis/redis-rate-limit-store.ts); keep the two in step.
import type { Rate } from '../config/units.js';

export interface BucketState {
  readonly allowed: boolean;
  /** The bucket's TAT after this request, when allowed. */
  readonly tat: number;
  readonly remaining: number;
  /** Milliseconds until the bucket is full again. */
  readonly resetMs: number;
  /** Milliseconds until one more request would be allowed (0 when allowed). */
  readonly retryAfterMs: number;
}

/**
 * One request against one bucket. `tat` is the stored TAT (or undefined for a fresh bucket), `now` in ms.
 * @example gcraStep(undefined, 0, { limit: 2, windowMs: 1000 }) → allowed, remaining 1
 */
export function gcraStep(tat: number | undefined, now: number, rate: Rate): BucketState {
  const interval = rate.windowMs / rate.limit;
  const tolerance = rate.windowMs - interval;
  const start = tat === undefined || tat < now ? now : tat;
  if (start - now > tolerance) {
    return { allowed: false, tat: start, remaining: 0, resetMs: start - now, retryAfterMs: start - now - tolerance };
  }
  const next = start + interval;
  return { allowed: true, tat: next, remaining: Math.floor((rate.windowMs - (next - now)) / interval + 1e-9), resetMs: next - now, retryAfterMs: 0 };
}
