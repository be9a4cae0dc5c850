// One data-plane listener as a Node server: plain HTTP/1.1 (node:http), HTTP/1.1 over TLS (node:https), or HTTP/2
// with HTTP/1.1 on the same port by ALPN (node:http2 with allowHTTP1). All of them hand requests to the same
// Fastify handler, so every stage runs the same whatever the client spoke; the client-side timeouts, the connection
// cap and `100 Continue` held back are applied to each (http-server.ts).
import { createServer as createHttpServer, type RequestListener, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createSecureServer, type Http2SecureServer, type Http2Session } from 'node:http2';
import type { Socket } from 'node:net';
import type { DataListenerConfig } from '../config/listen-types.js';
import type { ServerConfig } from '../config/types.js';
import type { ListenerCertificates } from '../tls/listener-certificates.js';
import { answerClientError } from './client-error.js';
import { applyServerLimits, checkingInterval } from './http-server.js';
import { RapidResetGuard } from './rapid-reset-guard.js';

export type ListenerServer = HttpServer | HttpsServer | Http2SecureServer;

export interface ListenerServerParts {
  readonly config: DataListenerConfig;
  readonly server: ListenerServer;
  /** Open HTTP/2 sessions, for GOAWAY on drain (HTTP/1.1 connections are closed by the server's own calls). */
  readonly sessions: Set<Http2Session>;
  readonly certificates: ListenerCertificates | undefined;
  /** True for an HTTP/2 listener. */
  readonly http2: boolean;
}

export interface ListenerHooks {
  /** A connection over server.limits.connections was closed at once. */
  dropped(): void;
  /** An HTTP/2 session was closed for cancelling too many streams. */
  rapidReset(): void;
}

export function createListenerServer(
  listener: DataListenerConfig,
  config: ServerConfig,
  handler: RequestListener,
  certificates: ListenerCertificates | undefined,
  hooks: ListenerHooks,
): ListenerServerParts {
  const http1 = {
    maxHeaderSize: config.limits.headerSize,
    connectionsCheckingInterval: checkingInterval(config.timeouts),
    // Node would answer a missing Host with a bare 400; data-plane.ts answers it (and two Hosts) in the coded shape.
    requireHostHeader: false,
  };
  const sessions = new Set<Http2Session>();
  let server: ListenerServer;
  if (certificates === undefined) {
    server = createHttpServer(http1, handler);
  } else if (!listener.http2) {
    server = createHttpsServer({ ...http1, ...certificates.serverOptions() }, handler);
  } else {
    const h2 = createSecureServer(
      {
        ...http1,
        ...certificates.serverOptions(),
        allowHTTP1: true,
        settings: { maxConcurrentStreams: listener.h2.maxConcurrentStreams, maxHeaderListSize: config.limits.headerSize, enablePush: false },
      },
      handler as unknown as Parameters<typeof createSecureServer>[1],
    );
    const guard = new RapidResetGuard(() => listener.h2.resetsPerSecond, hooks.rapidReset);
    h2.on('session', (session) => {
      sessions.add(session);
      session.once('close', () => sessions.delete(session));
      guard.watch(session);
      // An HTTP/2 connection with no stream in progress is closed after the idle timeout, as a kept-alive one is.
      session.setTimeout(config.timeouts.idle, () => session.close());
    });
    server = h2;
  }
  certificates?.onDefaultChange((options) => (server as HttpsServer).setSecureContext(options));
  // Without a 'checkContinue' listener Node writes `100 Continue` itself before any stage has run (http-server.ts).
  server.on('checkContinue', handler);
  server.on('clientError', (err: Error & { code?: string }, socket: Socket) => answerClientError(err, socket));
  // A TLS handshake that fails (no client certificate under mTLS, an unknown CA, a protocol too old) ends there.
  server.on('tlsClientError', (_err: Error, socket: Socket) => socket.destroy());
  server.on('drop', hooks.dropped);
  applyServerLimits(server as HttpServer, config);
  return { config: listener, server, sessions, certificates, http2: listener.http2 };
}
