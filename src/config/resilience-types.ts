// Circuit breakers and what a route answers while its breaker is open.
import type { Milliseconds } from './units.js';

export interface BreakerConfig {
  /** Percentage of failed calls in the window at which the breaker opens. */
  readonly failureRate: number;
  /** Calls the window must hold before the rate counts (a single failure of a quiet upstream opens nothing). */
  readonly minRequests: number;
  /** Length of the rolling window the rate is computed over. */
  readonly window: Milliseconds;
  /** How long the breaker stays open before it lets a probe through (half-open). */
  readonly openFor: Milliseconds;
  /** A call slower than this counts as a failure (the request itself still ends at the upstream's `timeout`). */
  readonly timeout: Milliseconds | undefined;
  /** Upstream statuses that count as failures; connection errors and timeouts always do, 4xx never. */
  readonly failOn: ReadonlySet<number>;
}

/** What a non-sensitive route answers while its breaker is open. Sensitive routes always answer 503. */
export type FallbackConfig =
  | { readonly kind: 'reject' }
  | { readonly kind: 'static'; readonly status: number; readonly body: string; readonly contentType: string }
  /** The last good (2xx) response to the same GET, if it is younger than maxAge; else 503. */
  | { readonly kind: 'lastGood'; readonly maxAge: Milliseconds; readonly maxEntries: number; readonly maxBodySize: number };
