// Stage: the canonical path and method find their route and required codes (or 404/405/400). Deny by default. A
// WebSocket handshake is matched as the GET it is, and needs the route's handshake code on a websocket route.
import type { RouteTable } from '../routing/route-table.js';
import { wantsWebSocket } from './wants-websocket.js';
import { refusal, type Stage } from './stage.js';

export function matchRouteStage(routes: RouteTable): Stage {
  return {
    name: 'match-route',
    run(ctx) {
      try {
        ctx.match = routes.match(ctx.method, ctx.target!, wantsWebSocket(ctx));
      } catch (err) {
        return refusal(err);
      }
    },
  };
}
