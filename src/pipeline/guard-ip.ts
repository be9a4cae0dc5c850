// Stage: the local per-IP flood guard, before any token is verified (docs/security-rules.md rule 10).
import type { RateLimiter } from '../ratelimit/rate-limiter.js';
import type { Stage } from './stage.js';

export function guardIpStage(limiter: RateLimiter): Stage {
  return { name: 'guard-ip', run: (ctx) => limiter.guard(ctx.match!.route, ctx.client.ip) };
}
