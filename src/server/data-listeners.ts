// The data plane's listeners (`server.listen`, one or several): they are opened, reconfigured on reload (limits,
// certificates), told to drain and closed together. Requests of every listener go to the one Fastify handler.
import type { IncomingMessage, RequestListener, Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Http2SecureServer } from 'node:http2';
import type { AddressInfo, ListenOptions, Socket } from 'node:net';
import type { LogPort } from '../observability/log-port.js';
import type { ServerConfig } from '../config/types.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { TLSSocket } from 'node:tls';
import { markClientSubject } from '../tls/client-certificate.js';
import { ListenerCertificates } from '../tls/listener-certificates.js';
import { httpsRedirect } from './https-redirect.js';
import { applyServerLimits } from './http-server.js';
import { createListenerServer, type ListenerServerParts } from './listener-server.js';

export class DataListeners {
  readonly #parts: ListenerServerParts[];
  readonly #sockets = new Set<Socket>();
  readonly #log: LogPort;
  #open = false;

  /**
   * `upgrade`: every listener's 'upgrade' event (a WebSocket handshake over HTTP/1.1, plain or TLS) runs the same
   * journey as any request (data-plane.ts); a redirect listener has none, so an upgrade there is redirected too.
   */
  constructor(
    config: ServerConfig,
    handler: RequestListener,
    upgrade: (request: IncomingMessage, socket: Duplex, head: Buffer) => void,
    metrics: GatewayMetrics,
    log: LogPort,
    { watchCertificates = true } = {},
  ) {
    this.#log = log;
    const hooks = { dropped: () => metrics.connectionsDropped.inc(), rapidReset: () => metrics.http2SessionsClosed.inc({ reason: 'rapid_reset' }) };
    const tlsIndex = config.listeners.findIndex((listener) => listener.tls !== undefined);
    this.#parts = config.listeners.map((listener) => {
      const certificates = listener.tls === undefined ? undefined : new ListenerCertificates(listener.tls);
      const own = listener.redirect === 'https' ? httpsRedirect(() => this.port(tlsIndex)) : handler;
      const parts = createListenerServer(listener, config, own, certificates, hooks);
      if (listener.redirect === undefined) parts.server.on('upgrade', upgrade);
      // Every connection, so a drain past its deadline can cut HTTP/2 and TLS ones too (no closeAllConnections there).
      const namesCallers = listener.tls?.clientSubject === true;
      parts.server.on(certificates === undefined ? 'connection' : 'secureConnection', (socket: Socket) => {
        if (namesCallers) markClientSubject(socket as TLSSocket);
        this.#sockets.add(socket);
        socket.once('close', () => this.#sockets.delete(socket));
      });
      if (certificates !== undefined && watchCertificates) {
        certificates.watch((problems, changed) => {
          if (problems.length > 0) {
            metrics.certificateReloads.inc({ outcome: 'rejected' });
            log.error({ listener: addressOf(listener), problems: problems.map((p) => p.message) }, 'renewed certificate files do not read; the certificates in force stay');
          } else if (changed) {
            metrics.certificateReloads.inc({ outcome: 'applied' });
            log.info({ listener: addressOf(listener), certificates: certificates.served() }, 'renewed certificates are served');
          }
        });
      }
      return parts;
    });
    metrics.certificatesSource = () =>
      this.#parts.flatMap((part) => (part.certificates?.served() ?? []).map((cert) => ({ listener: addressOf(part.config), certFile: cert.certFile, validTo: cert.validTo })));
  }

  /**
   * Opens every listener; returns their base URLs in config order (port 0 resolved). `reusePort` (reuse-port.ts
   * decides): each is opened with SO_REUSEPORT, which in a fleet worker also means a socket of its own rather than
   * the primary's shared one (Node makes such a listen exclusive).
   */
  async listen({ reusePort = false }: { readonly reusePort?: boolean } = {}): Promise<string[]> {
    const urls: string[] = [];
    try {
      for (const part of this.#parts) {
        // Node 20's types lack `reusePort`; the option is only ever true on a Node that has it (validate-reuse-port.ts).
        const options: ListenOptions & { reusePort?: boolean } = { port: part.config.port, host: part.config.host, ...(reusePort ? { reusePort } : {}) };
        await new Promise<void>((resolve, reject) => {
          part.server.once('error', reject);
          part.server.listen(options, () => {
            part.server.off('error', reject);
            resolve();
          });
        });
        urls.push(this.url(this.#parts.indexOf(part)));
      }
    } catch (err) {
      await this.close();
      throw err;
    }
    this.#open = true;
    return urls;
  }

  url(index: number): string {
    const part = this.#parts[index]!;
    const host = part.config.host.includes(':') ? `[${part.config.host}]` : part.config.host;
    return `${part.certificates ? 'https' : 'http'}://${host}:${this.port(index)}`;
  }

  port(index: number): number {
    const address = this.#parts[index]?.server.address() as AddressInfo | null | undefined;
    return address?.port ?? this.#parts[index]?.config.port ?? 0;
  }

  /** On reload: the new limits, and the certificates of the new config (already read and checked by its load). */
  reconfigure(config: ServerConfig): void {
    this.#parts.forEach((part, i) => {
      applyServerLimits(part.server as HttpServer, config);
      const next = config.listeners[i];
      if (part.certificates === undefined || next?.tls === undefined) return;
      const problems = part.certificates.reload(next.tls);
      if (problems.length > 0) this.#log.error({ listener: addressOf(part.config), problems: problems.map((p) => p.message) }, 'certificates did not read on reload; those in force stay');
      if (part.http2) (part.server as Http2SecureServer).updateSettings({ maxConcurrentStreams: next.h2.maxConcurrentStreams });
    });
  }

  /** The drain delay begins: HTTP/2 clients get GOAWAY and open new connections (through the load balancer). */
  goAway(): void {
    for (const part of this.#parts) for (const session of part.sessions) session.close();
  }

  /** Stops accepting; resolves once every connection has ended. */
  close(): Promise<void> {
    this.#open = false;
    for (const part of this.#parts) part.certificates?.unwatch();
    return Promise.all(
      this.#parts.map(
        (part) =>
          new Promise<void>((resolve) => {
            if (!part.server.listening) return resolve();
            part.server.close(() => resolve());
            for (const session of part.sessions) session.close();
          }),
      ),
    ).then(() => {});
  }

  /** Closes connections that have no request in progress (an HTTP/2 session closes once its streams are done). */
  closeIdle(): void {
    for (const part of this.#parts) {
      (part.server as HttpServer).closeIdleConnections?.();
      for (const session of part.sessions) session.close();
    }
  }

  /** Cuts every connection (the drain deadline passed). */
  closeAll(): void {
    for (const part of this.#parts) (part.server as HttpServer).closeAllConnections?.();
    for (const socket of this.#sockets) socket.destroy();
    for (const part of this.#parts) for (const session of part.sessions) session.destroy();
  }

  get listening(): boolean {
    return this.#open;
  }
}

function addressOf(listener: { host: string; port: number }): string {
  return `${listener.host}:${listener.port}`;
}
