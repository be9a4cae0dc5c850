// Stage: the canonical path and method find their route and required codes (or 404/405/400). Deny by default.
import type { RouteTable } from '../routing/route-table.js';
import type { Stage } from './stage.js';

export function matchRouteStage(routes: RouteTable): Stage {
  return {
    name: 'match-route',
    run(ctx) {
      ctx.match = routes.match(ctx.method, ctx.target!);
    },
  };
}
