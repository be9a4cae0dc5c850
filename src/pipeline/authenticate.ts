// Stage: a route that is not public needs a verified caller (or 401). What the upstream is told about the caller
// is rendered once the request is authorized (authorize.ts), from the decision.
import type { Authenticator } from '../auth/authenticator.js';
import type { VerifiedToken } from '../auth/claims.js';
import type { RequestContext } from './request-context.js';
import type { Stage } from './stage.js';

export function authenticateStage(authenticator: Authenticator): Stage {
  const accept = (ctx: RequestContext, verified: VerifiedToken): void => {
    ctx.token = verified;
    ctx.identity = verified.identity;
  };
  return {
    name: 'authenticate',
    run(ctx) {
      if (ctx.match!.route.config.auth === 'none') return;
      const verified = authenticator.authenticate(ctx.headers);
      if (verified instanceof Promise) return verified.then((found) => accept(ctx, found));
      accept(ctx, verified);
    },
  };
}
