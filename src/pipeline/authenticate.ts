// Stage: a route that is not public needs a verified caller (or 401). What the upstream is told about the caller
// is rendered once the request is authorized (authorize.ts), from the decision.
import type { Authenticator } from '../auth/authenticator.js';
import type { VerifiedToken } from '../auth/claims.js';
import type { RequestContext } from './request-context.js';
import { refusal, type Stage } from './stage.js';

export function authenticateStage(authenticator: Authenticator): Stage {
  const accept = (ctx: RequestContext, verified: VerifiedToken): void => {
    ctx.token = verified;
    ctx.identity = verified.identity;
  };
  return {
    name: 'authenticate',
    shadowable: true,
    run(ctx) {
      if (ctx.match!.route.config.auth === 'none') return;
      let verified: VerifiedToken | Promise<VerifiedToken>;
      try {
        verified = authenticator.authenticate(ctx.headers);
      } catch (err) {
        // No token at all, but a verified client certificate that names the caller (mTLS machine callers).
        if (ctx.clientCertificate !== undefined && (err as { code?: string }).code === 'PG_TOKEN_MISSING') return accept(ctx, ctx.clientCertificate);
        return refusal(err);
      }
      if (verified instanceof Promise) return verified.then((found) => accept(ctx, found), refusal);
      accept(ctx, verified);
    },
  };
}
