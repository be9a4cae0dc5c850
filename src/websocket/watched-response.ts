// A response in flight on a websocket route (server-sent events, a long download) ends when its access does, as the
// route's WebSockets do: registered with the SocketRegistry while it is open, and cut (the connection destroyed, so
// the client sees the stream end) on the same triggers. It counts against no connection bound.
import { authorizationOf, tokenOf, type RelayedRequest } from './connection-access.js';
import type { AccessEnd, LiveConnection, SocketRegistry } from './socket-registry.js';

export function watchResponse(ctx: RelayedRequest, registry: SocketRegistry): void {
  const res = ctx.reply.raw;
  const token = tokenOf(ctx);
  if (token === undefined || res.writableFinished || res.destroyed) return; // a public route: nothing to end it
  const watched: LiveConnection = {
    kind: 'response',
    route: ctx.match!.route.pattern,
    address: ctx.client.ip,
    token,
    authorization: authorizationOf(ctx),
    end(reason: AccessEnd) {
      ctx.reply.log.info({ reason }, 'response cut: its access ended');
      res.destroy();
    },
    // The drain lets responses in flight finish (up to server.drainTimeout): nothing to do here.
    shutdown() {},
  };
  registry.watch(watched);
  res.once('close', () => registry.remove(watched));
}
