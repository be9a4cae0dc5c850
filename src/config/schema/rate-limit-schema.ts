// The `rateLimits` section and a route's `rateLimit`: a budget per dimension, written as a rate (`100/s`, `5/min`).
import { Type } from './type.js';
import { RATE_DIMENSIONS } from '../rate-limit-types.js';
import { flag, integer, list, mapping, optional, rate, text } from './kinds.js';

const budgets = (describe: (dimension: string) => string) =>
  Object.fromEntries(RATE_DIMENSIONS.map((d) => [d, optional(rate(describe(d)))])) as Record<(typeof RATE_DIMENSIONS)[number], ReturnType<typeof optional<ReturnType<typeof rate>>>>;

const off = Type.Union([Type.Literal('off'), Type.Literal(false)], { description: 'off: no budget' });

export const RateLimitsSchema = mapping({
  ...budgets((d) => `Budget per ${d.replace('+', ' and ')} on every route, unless the route overrides it`),
  exempt: optional(mapping({
    roles: optional(list(text('A role name'), 'Callers holding one of these roles are not limited', { default: [] })),
  }, 'Who is not limited', { default: {} })),
  headers: optional(flag('Send RateLimit-Policy / RateLimit headers on limited routes (429 always has Retry-After)', true)),
  instances: optional(integer(1, 10_000, 'Gateway instances sharing the budgets: with Redis down, each limits to its share', 1)),
  connections: optional(mapping({
    perSubject: optional(integer(1, 1_000_000, 'Open WebSockets one caller (token subject) may have: across instances with store.redis, else on this instance')),
    perAddress: optional(integer(1, 1_000_000, 'Open WebSockets one client address (IPv6 by /64) may have: across instances with store.redis, else on this instance')),
  }, 'Concurrent WebSockets (a count, not a rate): one more handshake is refused 429')),
}, 'GCRA budgets shared by every instance through store.redis; absent: no limits unless a route sets its own');

/** `off` for none at all, or budgets that replace the named dimensions (`off` removes one). */
export const RouteRateLimitSchema = Type.Union([
  off,
  Type.Object(
    Object.fromEntries(RATE_DIMENSIONS.map((d) => [d, optional(Type.Union([rate(`This route's budget per ${d}`), off]))])),
    { additionalProperties: false, errorMessage: 'unknown rate-limit dimension', description: 'Budgets by dimension' },
  ),
], { description: 'This route\'s own budgets: off, or rates by dimension replacing the rateLimits ones' });
