// Stage: a route that is not public needs a verified caller (or 401). What the upstream is told about the caller
// is rendered once the request is authorized (authorize.ts), from the decision.
import type { Authenticator } from '../auth/authenticator.js';
import type { Identity, RequestContext } from './request-context.js';
import type { Stage } from './stage.js';

export function authenticateStage(authenticator: Authenticator): Stage {
  const accept = (ctx: RequestContext, identity: Identity): void => {
    ctx.identity = identity;
  };
  return {
    name: 'authenticate',
    run(ctx) {
      if (ctx.match!.route.config.auth === 'none') return;
      const identity = authenticator.authenticate(ctx);
      if (identity instanceof Promise) return identity.then((found) => accept(ctx, found));
      accept(ctx, identity);
    },
  };
}
