// What forwarding reads and writes of one request, and the client side of the exchange it writes to. The pipeline's
// RequestContext extends it, so forwarding needs neither the pipeline nor the HTTP framework: the adapter in
// server/data-plane.ts provides the ClientReply.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Identity } from '../auth/identity.js';
import type { GatewayError } from '../errors.js';
import type { LogPort } from '../observability/log-port.js';
import type { NormalizedTarget } from '../routing/normalize-path.js';
import type { RouteMatch } from '../routing/route-table.js';
import type { RequestTrace } from '../tracing/request-tracer.js';
import type { BreakerCall } from './circuit-breaker.js';
import type { ClientAddress } from './client-address.js';
import type { StreamedBody } from './streamed-body.js';

/** The client's side of the exchange. */
export interface ClientReply {
  /** The response the upstream's head and body are written to once it answers. */
  readonly raw: ServerResponse;
  /** The request's logger (it carries the request id). */
  readonly log: LogPort;
  /** Headers the gateway has set on this response (X-Request-Id, RateLimit): they win over the upstream's. */
  ownHeaders(): Readonly<Record<string, string | number | string[] | undefined>>;
  /** From here the exchange writes the response itself, straight to the socket. */
  takeOver(): void;
  /** Answers with a coded error decided while forwarding; nothing happens if a reply already went out. */
  refuse(err: GatewayError): void;
  /** Answers locally with a complete response that is not an error (a fallback). */
  send(status: number, headers: Readonly<Record<string, string>>, body: string | Buffer): void;
  /**
   * Present when the request arrived asking to switch protocols (Node's 'upgrade' event): the connection may leave
   * HTTP, handed to a WebSocket relay. Absent for every other request.
   */
  readonly upgrade?: ProtocolSwitch | undefined;
}

/** A request that asked to switch protocols, and the connection it came on. */
export interface ProtocolSwitch {
  readonly request: IncomingMessage;
  readonly socket: Duplex;
  /** Bytes the client sent after the request head (the first frames, if it did not wait for 101). */
  readonly head: Buffer;
  /**
   * The relay takes the connection now: the HTTP exchange is over (recorded as 101, no longer in flight), and no
   * HTTP answer will be written to it.
   */
  switched(): void;
}

/** How a breaker's fallback answered instead of the upstream. */
export type FallbackKind = 'static' | 'last-good';

export interface ForwardContext {
  readonly requestId: string;
  readonly method: string;
  /** The client's headers as received (read-only: the upstream's set is built in request-headers.ts). */
  readonly headers: IncomingHttpHeaders;
  readonly client: ClientAddress;
  readonly proto: 'http' | 'https';
  readonly target: NormalizedTarget | undefined;
  readonly match: RouteMatch | undefined;
  /** The verified caller: last-good responses are kept per caller. */
  readonly identity: Identity | undefined;
  /** Headers the gateway adds for the upstream (authorize.ts); undefined values remove a header. */
  readonly identityHeaders: Readonly<Record<string, string | undefined>>;
  /** The body as request-body.ts read it: whole, streamed, or none. */
  readonly body: Buffer | StreamedBody | undefined;
  readonly reply: ClientReply;
  /** performance.now() when the request was handed to the upstream; undefined for a local reply. */
  forwardedAt: number | undefined;
  /** performance.now() when the upstream's response head (or its failure) arrived. */
  upstreamDoneAt: number | undefined;
  /** The breaker call this request's forwarding counts in, settled by its outcome. */
  breakerCall: BreakerCall | undefined;
  /** Set when a fallback answered instead of the upstream. */
  fallback: FallbackKind | undefined;
  /** The request's trace, when `tracing` is configured (pipeline/trace.ts); it gives the upstream its traceparent. */
  trace?: RequestTrace | undefined;
}
