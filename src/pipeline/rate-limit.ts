// Stage: every budget of the route (global, route, ip, user, combinations) checked and spent together, or 429.
// The limiter's RateLimit headers go on the client's response, whatever the upstream answers.
import type { RateLimiter, RateLimitHeaders } from '../ratelimit/rate-limiter.js';
import type { RequestContext } from './request-context.js';
import { refusal, type Stage } from './stage.js';

export function rateLimitStage(limiter: RateLimiter): Stage {
  const accept = (ctx: RequestContext, headers: RateLimitHeaders | undefined): void => {
    if (headers !== undefined) ctx.responseHeaders = headers;
  };
  return {
    name: 'rate-limit',
    shadowable: true,
    run(ctx) {
      // Under enforcement a request a shadowed stage refused would have ended there: a shadowed limit spends nothing
      // for it (issue 14), so the shadow report predicts what enforcing would refuse.
      if (ctx.shadowRefusals !== undefined && ctx.match!.route.config.shadow.has('rate-limit')) return;
      let headers: RateLimitHeaders | undefined | Promise<RateLimitHeaders | undefined>;
      try {
        headers = limiter.check(ctx.match!.route, ctx.client.ip, ctx.method, ctx.identity);
      } catch (err) {
        return refusal(err);
      }
      if (headers instanceof Promise) return headers.then((found) => accept(ctx, found), refusal);
      accept(ctx, headers);
    },
  };
}
