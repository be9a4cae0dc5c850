// Proxies an allowed WebSocket handshake (the whole journey has passed) and then its frames, both ways. The upstream
// is connected first, with the header set the gateway owns: only once it has accepted is the client answered 101, so
// a refused or unreachable upstream is a coded 502 · 504 to the client, never a socket that opens and drops. Each
// socket is in the SocketRegistry from admission to close, which ends it (1008) when its access ends.
//
// Built on `ws` (both sides), not on @fastify/http-proxy's websocket mode: that mode accepts the client and opens the
// upstream on its own terms, outside the gateway's journey, and keeps no handle per socket that could close it when
// a token is revoked on another instance. Here the gateway decides, then `ws` does the framing.
import type { IncomingHttpHeaders } from 'node:http';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { VerifiedToken } from '../auth/claims.js';
import type { ConnectionLimits } from '../config/rate-limit-types.js';
import type { GatewayConfig, WebSocketRouteConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';
import type { AuthorizationRequest } from '../rbac/authorizer.js';
import { RequestHeaderPolicy, type HeaderMap } from '../upstream/request-headers.js';
import { authorizationOf, tokenOf, type RelayedRequest } from './connection-access.js';
import { watchResponse } from './watched-response.js';
import type { SharedConnectionCounts } from './shared-connection-counts.js';
import { handshakeProblem, offeredProtocols } from './websocket-handshake.js';
import { ACCESS_END_TEXT, type AccessEnd, type LiveConnection, type SocketRegistry } from './socket-registry.js';

/** Why a socket closed: its access ended, one side closed it, it went idle or too large, or the gateway stopped. */
export type CloseReason = AccessEnd | 'client' | 'upstream' | 'idle' | 'too-large' | 'shutdown';

export interface RelayHooks {
  opened(route: string): void;
  closed(route: string, reason: CloseReason): void;
}


/** The client's writes wait while the other side holds more than this unsent; resumed below LOW_WATER. */
const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;
/** A peer that does not answer a close frame within this is cut off: access ends within the bound either way. */
const CLOSE_GRACE_MS = 1_000;
/** Handshake headers `ws` makes itself for the upstream; the client's are for the gateway's own handshake. */
const OWN_HANDSHAKE = ['sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-protocol'];

interface UpstreamPlan {
  /** ws:// or wss:// origin */
  readonly origin: string;
  readonly host: string;
  readonly base: string;
  readonly timeout: number;
  readonly preserveHost: boolean;
}

/** One per loaded config (as the Forwarder is); the registry it admits sockets to outlives reloads. */
export class WebSocketRelay {
  readonly #headers: RequestHeaderPolicy;
  readonly #plans = new Map<string, UpstreamPlan>();
  readonly #limits: ConnectionLimits | undefined;

  constructor(
    config: GatewayConfig,
    private readonly registry: SocketRegistry,
    private readonly hooks: RelayHooks,
    /** Counts across instances (a shared store); undefined: this instance's own count only. */
    private readonly counts?: SharedConnectionCounts | undefined,
  ) {
    this.#headers = new RequestHeaderPolicy(config.server, config.auth?.jwt.cookie);
    this.#limits = config.rateLimits?.connections;
    for (const upstream of config.upstreams.values()) {
      const { url } = upstream;
      this.#plans.set(upstream.name, {
        origin: `${url.protocol === 'https:' ? 'wss:' : 'ws:'}//${url.host}`,
        host: url.host,
        base: url.pathname === '/' ? '' : url.pathname.replace(/\/$/, ''),
        timeout: upstream.timeout,
        preserveHost: upstream.preserveHost,
      });
    }
  }

  /** Starts relaying an allowed handshake; a refusal decided now (400, 429) is returned for the journey to answer. */
  relay(ctx: RelayedRequest): GatewayError | undefined | Promise<GatewayError | undefined> {
    const problem = handshakeProblem(ctx.headers);
    if (problem !== undefined) return new GatewayError('PG_BAD_REQUEST', { detail: problem });
    const match = ctx.match!;
    const route = match.route;
    const plan = this.#plans.get(route.upstream.name)!;
    const target = ctx.target!;
    const path = plan.base + target.path + target.query;
    const url = new URL(plan.origin + path);
    // docs/security-rules.md rule 1: the upstream gets exactly the path that was authorized.
    if (url.pathname + url.search !== path) return new GatewayError('PG_INTERNAL', { detail: 'the upstream URL could not be built' });
    const clientHost = ctx.headers.host;
    const headers = this.#headers.apply(
      ctx.headers as HeaderMap,
      { requestId: ctx.requestId, forwardedFor: ctx.client.forwardedFor, clientIp: ctx.client.ip, proto: ctx.proto, host: clientHost, identity: ctx.identityHeaders, trace: ctx.trace?.upstream() },
      plan.preserveHost && clientHost !== undefined ? clientHost : plan.host,
      route.config.forwardAuthorization,
    );
    for (const name of OWN_HANDSHAKE) delete headers[name];
    delete headers['content-length'];
    delete headers['content-type'];
    // An undefined value removes a header (identity headers whose source is absent); Node refuses one as a value.
    for (const name of Object.keys(headers)) if (headers[name] === undefined) delete headers[name];
    const socket = new RelayedSocket(ctx, route.pattern, authorizationOf(ctx), route.config.websocket!, this.registry, this.hooks);
    const refused = this.registry.admit(socket, this.#limits);
    if (refused !== undefined) return refused;
    ctx.forwardedAt = performance.now();
    const connect = (): undefined => socket.connect(url, headers, offeredProtocols(ctx.headers) ?? [], plan.timeout);
    if (this.counts === undefined || this.#limits === undefined) return connect();
    // This instance's bound held; now the bound across instances, before the upstream is asked.
    return this.counts.take(socket.token?.identity.subject, socket.address, this.#limits).then((taken) => {
      if (taken instanceof GatewayError) {
        this.registry.remove(socket);
        return taken;
      }
      return socket.counted(taken) ? connect() : undefined;
    });
  }

  /** A plain request on a websocket route: its response ends when its access does, as a socket would. */
  watch(ctx: RelayedRequest): void {
    watchResponse(ctx, this.registry);
  }
}

/** One relayed socket, from admission (upstream connecting) to close. */
class RelayedSocket implements LiveConnection {
  readonly kind = 'websocket';
  readonly address: string;
  readonly token: VerifiedToken | undefined;
  #state: 'connecting' | 'open' | 'done' = 'connecting';
  #upstream: WebSocket | undefined;
  #client: WebSocket | undefined;
  #ping: NodeJS.Timeout | undefined;
  /** The client answered (or spoke) since the last ping. */
  #alive = true;
  /** Gives back its places in the count across instances. */
  #release: (() => void) | undefined;

  constructor(
    private readonly ctx: RelayedRequest,
    readonly route: string,
    readonly authorization: AuthorizationRequest | undefined,
    private readonly settings: WebSocketRouteConfig,
    private readonly registry: SocketRegistry,
    private readonly hooks: RelayHooks,
  ) {
    this.address = ctx.client.ip;
    this.token = tokenOf(ctx);
  }

  /** Its places in the count across instances, given back when it ends; false when it ended meanwhile. */
  counted(release: () => void): boolean {
    if (this.#state !== 'connecting') {
      release();
      return false;
    }
    this.#release = release;
    return true;
  }

  #leave(): void {
    this.registry.remove(this);
    this.#release?.();
    this.#release = undefined;
  }

  connect(url: URL, headers: HeaderMap, protocols: string[], timeout: number): undefined {
    const upgrade = this.ctx.reply.upgrade!;
    // The client may have left while the count across instances was asked: its 'close' has been and gone.
    if (upgrade.socket.destroyed) {
      this.#leftEarly();
      return undefined;
    }
    upgrade.socket.once('close', this.#leftEarly);
    let upstream: WebSocket;
    try {
      upstream = new WebSocket(url, protocols, {
        headers: headers as IncomingHttpHeaders,
        handshakeTimeout: timeout,
        maxPayload: this.settings.maxPayload,
        // Each side is its own WebSocket: compression is off on both, so a frame costs what it weighs.
        perMessageDeflate: false,
        followRedirects: false,
      });
    } catch (err) {
      this.#refuse(new GatewayError('PG_INTERNAL', { detail: 'the upstream handshake could not be built', cause: err }));
      return undefined;
    }
    this.#upstream = upstream;
    upstream.once('unexpected-response', (_req, res) => {
      res.resume();
      this.#refuse(new GatewayError('PG_UPSTREAM_WEBSOCKET_REFUSED', { detail: `the upstream answered ${res.statusCode}` }));
    });
    upstream.on('error', (err) => {
      if (this.#state !== 'connecting') return; // a close follows
      const timedOut = /timed out/i.test(err.message);
      this.ctx.reply.log.warn({ upstream: this.ctx.match!.route.upstream.name, cause: err.message }, 'upstream WebSocket handshake failed');
      this.#refuse(new GatewayError(timedOut ? 'PG_UPSTREAM_TIMEOUT' : 'PG_UPSTREAM_UNAVAILABLE', { cause: err }));
    });
    upstream.once('open', () => this.#accept(upstream));
    return undefined;
  }

  /** Access ended (registry): before the 101, a coded refusal; after it, 1008 to both sides. */
  end(reason: AccessEnd): void {
    if (this.#state === 'connecting') {
      const code = reason === 'token-expired' ? 'PG_TOKEN_EXPIRED' : reason === 'permission-withdrawn' ? 'PG_FORBIDDEN' : 'PG_TOKEN_REVOKED';
      return this.#refuse(new GatewayError(code));
    }
    this.#close(reason, 1008, ACCESS_END_TEXT[reason]);
  }

  /** The gateway is stopping: 1001 (going away) to both sides. */
  shutdown(): void {
    if (this.#state === 'connecting') return this.#refuse(new GatewayError('PG_SHUTTING_DOWN', { headers: { 'retry-after': '1' } }));
    this.#close('shutdown', 1001, 'gateway shutting down');
  }

  readonly #leftEarly = (): void => {
    if (this.#state !== 'connecting') return;
    this.#state = 'done';
    this.#leave();
    this.#upstream?.terminate();
  };

  #refuse(err: GatewayError): void {
    if (this.#state !== 'connecting') return;
    this.#state = 'done';
    this.#leave();
    this.#upstream?.terminate();
    this.ctx.reply.upgrade!.socket.off('close', this.#leftEarly);
    this.ctx.reply.refuse(err);
  }

  #accept(upstream: WebSocket): void {
    if (this.#state !== 'connecting') return upstream.terminate();
    const upgrade = this.ctx.reply.upgrade!;
    upgrade.socket.off('close', this.#leftEarly);
    if (upgrade.socket.destroyed) return this.#finish('client', upstream, 1001);
    const server = new WebSocketServer({
      noServer: true,
      maxPayload: this.settings.maxPayload,
      perMessageDeflate: false,
      // The client gets the subprotocol the upstream chose among those it offered.
      handleProtocols: () => upstream.protocol || false,
    });
    server.on('headers', (lines) => lines.push(`X-Request-Id: ${this.ctx.requestId}`));
    upgrade.switched();
    // `ws` answers a socket that left meanwhile by destroying it, without calling back: the relay ends with it.
    upgrade.socket.once('close', () => this.#client === undefined && this.#finish('client', upstream, 1001));
    server.handleUpgrade(upgrade.request, upgrade.socket, upgrade.head, (client) => this.#tunnel(client, upstream));
  }

  #tunnel(client: WebSocket, upstream: WebSocket): void {
    if (this.#state !== 'connecting') {
      client.terminate();
      return upstream.terminate();
    }
    this.#state = 'open';
    this.#client = client;
    this.hooks.opened(this.route);
    const up = new Flow(client, upstream);
    const down = new Flow(upstream, client);
    client.on('message', (data, isBinary) => {
      this.#alive = true;
      up.pass(data, isBinary);
    });
    upstream.on('message', (data, isBinary) => down.pass(data, isBinary));
    client.on('pong', () => (this.#alive = true));
    // `ws` closes a side that sent a message over maxPayload with 1009 and stops reading it, so the close event there
    // cannot say 1009 (no close frame is read back): the error does.
    let tooLarge = false;
    const onError = (err: Error): void => {
      if ((err as { code?: string }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') tooLarge = true;
    };
    client.on('error', onError); // a close follows every error
    upstream.on('error', onError);
    client.on('close', (code) => this.#finish(tooLarge || code === 1009 ? 'too-large' : 'client', upstream, tooLarge ? 1009 : code));
    upstream.on('close', (code) => this.#finish(tooLarge || code === 1009 ? 'too-large' : 'upstream', client, tooLarge ? 1009 : code));
    this.#ping = setInterval(() => {
      if (!this.#alive) return this.#close('idle', 1001, 'idle timeout', true);
      this.#alive = false;
      client.ping();
    }, this.settings.pingInterval);
    this.#ping.unref();
  }

  /** Closes both sides (`cut`: at once, for a peer that stopped answering) and records why. */
  #close(reason: CloseReason, code: number, text: string, cut = false): void {
    const client = this.#client;
    const upstream = this.#upstream;
    if (this.#state !== 'open' || client === undefined || upstream === undefined) return;
    for (const side of [client, upstream]) {
      if (cut && side === client) side.terminate();
      else side.close(code, text);
      // A peer that does not answer the close frame is cut off: the socket is gone within the grace, whatever it does.
      setTimeout(() => side.terminate(), CLOSE_GRACE_MS).unref();
    }
    this.#done(reason);
  }

  /** One side closed: the other is closed with the same code where it may be sent again. */
  #finish(reason: CloseReason, other: WebSocket, code: number): void {
    if (this.#state === 'done') return;
    if (this.#state === 'connecting') {
      this.#state = 'done';
      this.#leave();
      other.terminate();
      return;
    }
    other.close(sendable(code) ? code : 1001);
    setTimeout(() => other.terminate(), CLOSE_GRACE_MS).unref();
    this.#done(reason);
  }

  #done(reason: CloseReason): void {
    if (this.#state === 'done') return;
    this.#state = 'done';
    clearInterval(this.#ping);
    this.#leave();
    this.hooks.closed(this.route, reason);
  }
}

/** Frames one way, with backpressure: the sender is paused while the receiver's side holds too much unsent. */
class Flow {
  #paused = false;

  constructor(
    private readonly from: WebSocket,
    private readonly to: WebSocket,
  ) {}

  pass(data: RawData, isBinary: boolean): void {
    const to = this.to;
    if (to.readyState !== WebSocket.OPEN) return;
    to.send(data, { binary: isBinary }, () => {
      if (this.#paused && to.bufferedAmount <= LOW_WATER) {
        this.#paused = false;
        this.from.resume();
      }
    });
    if (!this.#paused && to.bufferedAmount > HIGH_WATER) {
      this.#paused = true;
      this.from.pause();
    }
  }
}

/** Close codes an endpoint may send (RFC 6455 §7.4): 1005, 1006 and 1015 only describe what happened locally. */
function sendable(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}
