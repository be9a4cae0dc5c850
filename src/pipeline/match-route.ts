// Stage: the canonical path and method find their route and required codes (or 404/405/400). Deny by default.
import type { RouteTable } from '../routing/route-table.js';
import { refusal, type Stage } from './stage.js';

export function matchRouteStage(routes: RouteTable): Stage {
  return {
    name: 'match-route',
    run(ctx) {
      try {
        ctx.match = routes.match(ctx.method, ctx.target!);
      } catch (err) {
        return refusal(err);
      }
    },
  };
}
