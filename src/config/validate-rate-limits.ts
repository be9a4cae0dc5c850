// Checks `rateLimits` and a route's `rateLimit`.
import { closest } from './suggest.js';
import { RATE_DIMENSIONS, type RateDimension, type RateLimitConfig, type RouteRateLimit } from './rate-limit-types.js';
import { parseRate, type Rate } from './units.js';
import type { Checker } from './checker.js';

type KeyPath = readonly (string | number)[];

function rate(c: Checker, path: KeyPath, value: unknown): Rate | undefined {
  const parsed = typeof value === 'string' ? parseRate(value) : undefined;
  if (parsed === undefined) return c.fail(path, `expected a rate, got ${JSON.stringify(value)}`, 'write it as 100/s, 5/min or 10/30s');
  return parsed;
}

function dimension(c: Checker, path: KeyPath, key: string): RateDimension | undefined {
  if ((RATE_DIMENSIONS as readonly string[]).includes(key)) return key as RateDimension;
  const guess = closest(key, RATE_DIMENSIONS);
  return c.fail(path, `unknown rate-limit dimension`, guess ? `did you mean "${guess}"?` : `one of ${RATE_DIMENSIONS.join(', ')}`, true);
}

export function checkRateLimits(c: Checker, value: unknown): RateLimitConfig | undefined {
  const r = c.object(['rateLimits'], value, [...RATE_DIMENSIONS, 'exempt', 'headers', 'instances']);
  if (!r) return undefined;
  const defaults = new Map<RateDimension, Rate>();
  for (const key of RATE_DIMENSIONS) {
    if (r[key] === undefined) continue;
    const parsed = rate(c, ['rateLimits', key], r[key]);
    if (parsed) defaults.set(key, parsed);
  }
  const exempt = r.exempt === undefined ? {} : c.object(['rateLimits', 'exempt'], r.exempt, ['roles']);
  const exemptRoles = (c.list(['rateLimits', 'exempt', 'roles'], exempt?.roles) ?? []).flatMap((role, i) => c.string(['rateLimits', 'exempt', 'roles', i], role) ?? []);
  return {
    defaults,
    exemptRoles,
    headers: c.boolean(['rateLimits', 'headers'], r.headers, true) ?? true,
    instances: c.integer(['rateLimits', 'instances'], r.instances, 1, 10_000, 1) ?? 1,
  };
}

export function checkRouteRateLimit(c: Checker, path: KeyPath, value: unknown): RouteRateLimit | undefined {
  if (value === undefined) return undefined;
  if (value === 'off' || value === false) return { kind: 'off' };
  const r = c.object(path, value, Object.keys(value ?? {}));
  if (!r) return undefined;
  const budgets = new Map<RateDimension, Rate | 'off'>();
  for (const [key, raw] of Object.entries(r)) {
    const dim = dimension(c, [...path, key], key);
    if (dim === undefined) continue;
    if (raw === 'off' || raw === false) budgets.set(dim, 'off');
    else {
      const parsed = rate(c, [...path, key], raw);
      if (parsed) budgets.set(dim, parsed);
    }
  }
  return { kind: 'override', budgets };
}
