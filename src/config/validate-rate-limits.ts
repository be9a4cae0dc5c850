// Turns `rateLimits` and a route's `rateLimit` into budgets; the schema (schema/rate-limit-schema.ts) has checked
// the rates and the dimension names.
import { isPlain, rateOf, strings, type Plain } from './checker.js';
import { RATE_DIMENSIONS, type RateDimension, type RateLimitConfig, type RouteRateLimit } from './rate-limit-types.js';
import type { Rate } from './units.js';

export function checkRateLimits(r: Plain): RateLimitConfig {
  const defaults = new Map<RateDimension, Rate>();
  for (const key of RATE_DIMENSIONS) {
    const parsed = rateOf(r[key]);
    if (parsed) defaults.set(key, parsed);
  }
  return {
    defaults,
    exemptRoles: strings(isPlain(r.exempt) ? r.exempt.roles : undefined),
    headers: r.headers as boolean,
    instances: r.instances as number,
    connections: {
      perSubject: isPlain(r.connections) ? (r.connections.perSubject as number | undefined) : undefined,
      perAddress: isPlain(r.connections) ? (r.connections.perAddress as number | undefined) : undefined,
    },
  };
}

export function checkRouteRateLimit(value: unknown): RouteRateLimit | undefined {
  if (value === undefined) return undefined;
  if (value === 'off' || value === false || !isPlain(value)) return { kind: 'off' };
  const budgets = new Map<RateDimension, Rate | 'off'>();
  for (const [key, raw] of Object.entries(value)) {
    if (!(RATE_DIMENSIONS as readonly string[]).includes(key)) continue;
    const parsed = raw === 'off' || raw === false ? 'off' : rateOf(raw);
    if (parsed) budgets.set(key as RateDimension, parsed);
  }
  return { kind: 'override', budgets };
}
