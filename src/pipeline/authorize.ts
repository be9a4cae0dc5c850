// Stage: the caller must hold every code the route requires for this request (or 403).
import type { Authorizer } from '../rbac/authorizer.js';
import type { Stage } from './stage.js';

export function authorizeStage(authorizer: Authorizer): Stage {
  return {
    name: 'authorize',
    run(ctx) {
      const codes = ctx.match!.permissions;
      if (ctx.match!.route.config.auth === 'none') return;
      return authorizer.authorize(ctx.identity!, codes);
    },
  };
}
