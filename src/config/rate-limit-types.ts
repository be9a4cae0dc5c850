// The `rateLimits` section and a route's `rateLimit`: budgets per dimension, written as rates (`100/s`, `5/min`).
import type { Rate } from './units.js';

/** What a budget is counted per. Combinations join two with `+`. */
export const RATE_DIMENSIONS = ['global', 'route', 'ip', 'user', 'user+route', 'ip+route'] as const;
export type RateDimension = (typeof RATE_DIMENSIONS)[number];

/** The budgets that apply to a route: each dimension with its rate. */
export type RateBudgets = ReadonlyMap<RateDimension, Rate>;

export interface RateLimitConfig {
  /** Budgets for every route, unless a route overrides them. */
  readonly defaults: RateBudgets;
  /** Callers holding one of these roles are not limited (internal service accounts). */
  readonly exemptRoles: readonly string[];
  /** Send RateLimit-Policy / RateLimit headers on limited routes. 429 always carries Retry-After. */
  readonly headers: boolean;
  /** How many gateway instances share the budgets: with Redis down, each limits locally to its share. */
  readonly instances: number;
  /** Concurrent WebSockets per caller and per client address: across instances with Redis, else per instance. */
  readonly connections: ConnectionLimits;
}

/** Bounds on open WebSockets (a count, not a rate). */
export interface ConnectionLimits {
  readonly perSubject: number | undefined;
  readonly perAddress: number | undefined;
}

/** A route's own budgets: replace the named dimensions (`off` removes one), or `off` for none at all. */
export type RouteRateLimit = { readonly kind: 'off' } | { readonly kind: 'override'; readonly budgets: ReadonlyMap<RateDimension, Rate | 'off'> };
