// Stage: the caller must hold the codes the route requires for this request (all of them, or any one), in the
// request's tenant (or 403). A refusal is reported (metrics, audit) before the error answers the client.
import type { Authorizer } from '../rbac/authorizer.js';
import type { Decision } from '../rbac/compile.js';
import { GatewayError } from '../errors.js';
import { NAME } from '../rbac/model.js';
import type { RequestContext } from './request-context.js';
import type { Stage } from './stage.js';

export interface AuthorizationOutcomes {
  /** A refusal, before it is answered. */
  onDenied(ctx: RequestContext, decision: Extract<Decision, { allowed: false }>): void;
  /** Name the missing code in the 403 body. */
  readonly exposeMissingCode: boolean;
}

export function authorizeStage(authorizer: Authorizer, outcomes: AuthorizationOutcomes): Stage {
  const conclude = (ctx: RequestContext, decision: Decision): void => {
    if (decision.allowed) return;
    outcomes.onDenied(ctx, decision);
    const detail = outcomes.exposeMissingCode
      ? decision.reason === 'denied'
        ? `permission ${decision.code} is denied`
        : `missing permission ${decision.code}`
      : undefined;
    throw new GatewayError('PG_FORBIDDEN', { detail });
  };
  return {
    name: 'authorize',
    run(ctx) {
      const match = ctx.match!;
      const route = match.route.config;
      if (route.auth === 'none') return;
      let tenant = ctx.identity!.tenant;
      if (route.tenantParam !== undefined) {
        tenant = match.param(route.tenantParam);
        if (!NAME.test(tenant)) throw new GatewayError('PG_PARAM_INVALID', { detail: `path parameter "${route.tenantParam}" is not a tenant name` });
      }
      const decision = authorizer.authorize({ identity: ctx.identity!, tenant, codes: match.permissions, mode: match.mode, sensitive: route.sensitive });
      if (decision instanceof Promise) return decision.then((found) => conclude(ctx, found));
      conclude(ctx, decision);
    },
  };
}
