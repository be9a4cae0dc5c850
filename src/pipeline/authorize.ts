// Stage: the caller must hold the codes the route requires for this request (all of them, or any one), in the
// request's tenant (or 403). A refusal is reported (metrics, audit) before it answers the client. An allowed
// request's identity headers are rendered here, from the decision: the tenant it was authorized in and the roles
// that held there, not what the token claimed.
import type { Authorizer } from '../rbac/authorizer.js';
import type { Decision } from '../rbac/compile.js';
import { GatewayError } from '../errors.js';
import { NAME } from '../rbac/model.js';
import { MatchedRequestFacts } from '../rbac/request-facts.js';
import type { IdentityHeaderRenderer } from '../upstream/identity-headers.js';
import type { RequestContext } from './request-context.js';
import { refusal, type Stage, type StageOutcome } from './stage.js';

export interface AuthorizationOutcomes {
  /** A refusal, before it is answered. */
  onDenied(ctx: RequestContext, decision: Extract<Decision, { allowed: false }>): void;
  /** Name the missing code in the 403 body. */
  readonly exposeMissingCode: boolean;
}

const NO_ROLES: readonly string[] = Object.freeze([]);

export function authorizeStage(authorizer: Authorizer, outcomes: AuthorizationOutcomes, headers: IdentityHeaderRenderer): Stage {
  const conclude = (ctx: RequestContext, tenant: string | undefined, decision: Decision): StageOutcome => {
    if (decision.allowed) {
      const authorization = ctx.headers.authorization;
      ctx.identityHeaders = headers.render(ctx.match!.route.config, {
        identity: ctx.identity!,
        claims: ctx.token?.claims,
        tenant,
        // An Authorizer of a test seam may answer a bare { allowed: true }: it then vouches for no role or code.
        roles: decision.roles ?? NO_ROLES,
        codes: decision.codes ?? ctx.match!.permissions,
        authorization: typeof authorization === 'string' ? authorization : undefined,
      });
      return;
    }
    ctx.denial = { code: decision.code, reason: decision.reason };
    outcomes.onDenied(ctx, decision);
    const detail = outcomes.exposeMissingCode
      ? decision.reason === 'denied'
        ? `permission ${decision.code} is denied`
        : `missing permission ${decision.code}`
      : undefined;
    return new GatewayError('PG_FORBIDDEN', { detail });
  };
  return {
    name: 'authorize',
    shadowable: true,
    run(ctx) {
      const match = ctx.match!;
      const route = match.route.config;
      if (route.auth === 'none') {
        const authorization = ctx.headers.authorization;
        ctx.identityHeaders = headers.renderPublic(route, typeof authorization === 'string' ? authorization : undefined);
        return;
      }
      const identity = ctx.identity;
      // Only when authenticate ran in shadow mode and refused: nobody to authorize.
      if (identity === undefined) return new GatewayError('PG_AUTH_REQUIRED');
      let tenant = identity.tenant;
      if (route.tenantParam !== undefined) {
        tenant = match.param(route.tenantParam);
        if (!NAME.test(tenant)) return new GatewayError('PG_PARAM_INVALID', { detail: `path parameter "${route.tenantParam}" is not a tenant name` });
      }
      let decision: Decision | Promise<Decision>;
      try {
        const facts = new MatchedRequestFacts(identity.subject, ctx.client.ip, ctx.token?.claims, match.param);
        decision = authorizer.authorize({ identity, tenant, codes: match.permissions, mode: match.mode, sensitive: route.sensitive, facts });
      } catch (err) {
        return refusal(err);
      }
      if (decision instanceof Promise) return decision.then((found) => conclude(ctx, tenant, found), refusal);
      return conclude(ctx, tenant, decision);
    },
  };
}
