// Stage: the local per-IP flood guard, before any token is verified (docs/security-rules.md rule 10).
import type { RateLimiter } from '../ratelimit/rate-limiter.js';
import { refusal, type Stage } from './stage.js';

export function guardIpStage(limiter: RateLimiter): Stage {
  return {
    name: 'guard-ip',
    shadowable: true,
    run(ctx) {
      try {
        limiter.guard(ctx.match!.route, ctx.client.ip);
      } catch (err) {
        return refusal(err);
      }
    },
  };
}
