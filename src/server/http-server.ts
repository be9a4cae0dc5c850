// The data plane's Node http servers (listener-server.ts): the client-side timeouts and the connection cap of `server.timeouts` and
// `server.limits`, and `Expect: 100-continue` held back until the journey has passed.
//
// How each setting maps onto Node (node:http docs, "http.createServer" and "server.*Timeout"):
// - timeouts.headers → headersTimeout: the whole request head must arrive in time, else 408 (client-error.ts). Node
//   checks it every connectionsCheckingInterval (30 s by default, so a 10 s limit held up to 40 s): the interval is
//   derived from the timeouts here.
// - timeouts.request → the gateway's own body clock (upstream/body-timers.ts) answers 408 through the journey, for
//   bodies it reads; Node's requestTimeout is its backstop (bodies nobody reads, e.g. after a refusal), set later
//   than the gateway's own deadline can be so the two never race.
// - timeouts.idle → keepAliveTimeout: a keep-alive connection without a request in progress is closed.
// - limits.connections → maxConnections: beyond it Node closes a new connection at once (no reply is possible
//   before a request has been read; nginx and Envoy do the same).
import type { Server } from 'node:http';
import type { ServerConfig } from '../config/types.js';

// `100 Continue`: without a 'checkContinue' listener Node writes it itself before any stage has run, so a client
// would be invited to send a body the gateway is about to refuse. With one (listener-server.ts), the request is
// handled as any other and data-plane.ts writes `100 Continue` once every stage has passed (RFC 9110 §10.1.1).

/** Applies the timeouts and the connection cap; also on reload (all but the checking interval take effect). */
export function applyServerLimits(server: Server, config: ServerConfig): void {
  const { timeouts, limits } = config;
  server.headersTimeout = timeouts.headers;
  // The gateway's own deadline runs from the end of the headers, so it falls before this one: headers + request.
  server.requestTimeout = timeouts.headers + timeouts.request + 1_000;
  server.keepAliveTimeout = timeouts.idle;
  server.maxConnections = limits.connections;
}

/** A quarter of the shortest checked timeout, between 25 ms and 1 s: a timeout fires at most 25 % late. */
export function checkingInterval(timeouts: ServerConfig['timeouts']): number {
  return Math.min(1_000, Math.max(25, Math.floor(Math.min(timeouts.headers, timeouts.request) / 4)));
}
