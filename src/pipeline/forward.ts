// Stage: the authorized request goes to its upstream, under the route's breaker and fallback
// (upstream/resilient-forward.ts). The exchange answers the client itself: the upstream's reply, a fallback, or a
// coded 502 · 503 · 504 · 500. A WebSocket handshake on a `websocket` route goes to the WebSocket relay instead. When it is over without an upstream outcome (a local reply, a client that left), the
// breaker call is settled as neutral: nobody's fault but the upstream's may open a breaker.
import type { GatewayError } from '../errors.js';
import type { ForwardContext } from '../upstream/forward-context.js';
import type { RelayedRequest } from '../websocket/connection-access.js';
import type { Stage } from './stage.js';
import { wantsWebSocket } from './wants-websocket.js';

/** The forwarder of the config in force (upstream/resilient-forward.ts). */
export interface Forwarding {
  forward(ctx: ForwardContext): void;
}

/** The WebSocket relay of the config in force (websocket/websocket-relay.ts). */
export interface WebSocketRelaying {
  relay(ctx: RelayedRequest): GatewayError | undefined | Promise<GatewayError | undefined>;
  /** A plain request on a websocket route: its response (server-sent events, say) is cut when its access ends. */
  watch(ctx: RelayedRequest): void;
}

export function forwardStage(forwarder: Forwarding, websockets?: WebSocketRelaying): Stage {
  return {
    name: 'forward',
    run(ctx) {
      // A handshake on a websocket route is relayed; on any other route it goes on as a plain GET, Upgrade stripped.
      if (websockets !== undefined && ctx.match!.route.config.websocket !== undefined) {
        if (wantsWebSocket(ctx)) return websockets.relay(ctx);
        websockets.watch(ctx);
      }
      forwarder.forward(ctx);
    },
    finish(ctx) {
      ctx.breakerCall?.settle(undefined);
    },
  };
}
