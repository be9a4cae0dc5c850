// Whether a request is a WebSocket handshake the gateway may relay: it arrived asking to switch protocols, and it is a
// GET asking for `websocket`. The route decides the rest (match-route gives it the handshake code on a websocket
// route; forward relays it there, and serves it as a plain GET, Upgrade stripped, anywhere else).
import type { ForwardContext } from '../upstream/forward-context.js';
import { isWebSocketHandshake } from '../websocket/websocket-handshake.js';

export function wantsWebSocket(ctx: Pick<ForwardContext, 'reply' | 'method' | 'headers'>): boolean {
  return ctx.reply.upgrade !== undefined && isWebSocketHandshake(ctx.method, ctx.headers);
}
