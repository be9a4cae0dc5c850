// Stage: every budget of the route (global, route, ip, user, combinations) checked and spent together, or 429.
import type { RateLimiter } from '../ratelimit/rate-limiter.js';
import type { Stage } from './stage.js';

export function rateLimitStage(limiter: RateLimiter): Stage {
  return { name: 'rate-limit', run: (ctx) => limiter.check(ctx) };
}
