// Sends an allowed request to its upstream: exactly the canonical path that was authorized, the raw query, the body
// as request-body.ts read it (whole, or streamed), and a header set the gateway owns. Upstream failures become coded
// 502/504 replies and count against the upstream's breaker; failures of the client's body or of the gateway's own
// request building never do (issue 10).
//
// Built on undici's dispatcher directly rather than @fastify/reply-from: one handler object per request that writes
// the upstream's response head and chunks straight to the client's socket, with backpressure both ways. reply-from
// wraps each exchange in a request API call, a body stream, a URL parse, several header copies and Fastify's stream
// send; measured here, that wrapping cost about half of a bare proxy's CPU per request (README, Decisions).
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Transform, Writable } from 'node:stream';
import type { Dispatcher, Pool } from 'undici';
import type { GatewayConfig, UpstreamConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';
import { BodyFailure } from './body-failure.js';
import type { CarriedOver } from './carried-over.js';
import type { ForwardContext } from './forward-context.js';
import { StreamedBody } from './streamed-body.js';
import { RequestHeaderPolicy, stripResponseHopHeaders, type HeaderMap } from './request-headers.js';
import { createPool, poolKey, requestServerName } from './upstream-pool.js';
import { isTlsFailure } from './tls-failure.js';

export interface ForwardHooks {
  /** Called when the upstream's response head arrives (or the exchange fails), for latency metrics. */
  onUpstreamDone(ctx: ForwardContext, statusOrError: number | GatewayError): void;
}

/** A stream the response body passes through (to keep a copy), or undefined for none. */
export type BodyTap = (ctx: ForwardContext, status: number, contentType: string | undefined) => Transform | undefined;

const SAFE_HOST = /^[A-Za-z0-9.\-:[\]]{1,255}$/;

/** What forward() needs per upstream, prepared once. */
interface UpstreamPlan {
  readonly upstream: UpstreamConfig;
  readonly pool: Pool;
  /** The upstream's own Host, sent unless `preserveHost`. */
  readonly host: string;
  /** The URL's base path, put before every forwarded path ('' for none). */
  readonly base: string;
  /** For https:// upstreams, the same server name on every request (upstream-pool.ts says why). */
  readonly servername: string | undefined;
}

export class Forwarder {
  readonly #headers: RequestHeaderPolicy;
  readonly #hooks: ForwardHooks;
  readonly #plans = new Map<string, UpstreamPlan>();
  /** `server.timeouts.send`: how long a client may leave the response unread. */
  readonly #sendTimeout: number;
  /** The keys of the pools this config uses: what must stay open while a request of this config may run. */
  readonly poolKeys = new Set<string>();

  /** Pools come from `pools`, the gateway's: an upstream unchanged by a reload keeps its connections. */
  constructor(config: GatewayConfig, pools: CarriedOver<Pool>, hooks: ForwardHooks) {
    this.#headers = new RequestHeaderPolicy(config.server, config.auth?.jwt.cookie);
    this.#hooks = hooks;
    this.#sendTimeout = config.server.timeouts.send;
    for (const upstream of config.upstreams.values()) {
      const { url } = upstream;
      const key = poolKey(upstream);
      this.poolKeys.add(key);
      const pool = pools.obtain(key, () => createPool(upstream));
      this.#plans.set(upstream.name, { upstream, pool, host: url.host, base: url.pathname === '/' ? '' : url.pathname.replace(/\/$/, ''), servername: requestServerName(upstream) });
    }
  }

  forward(ctx: ForwardContext, tap?: BodyTap): void {
    const plan = this.#plans.get(ctx.match!.route.upstream.name)!;
    const target = ctx.target!;
    // The body reader gives a body (a Buffer read whole, or a StreamedBody) only to requests that may carry one; any
    // other request goes without, and without the length it declared (a GET's body is not forwarded).
    const read = ctx.body;
    const body = read instanceof StreamedBody || Buffer.isBuffer(read) ? read : null;
    const clientHost = ctx.headers.host;
    const host = clientHost !== undefined && SAFE_HOST.test(clientHost) ? clientHost : undefined;
    const headers = this.#headers.apply(
      ctx.headers as HeaderMap,
      { requestId: ctx.requestId, forwardedFor: ctx.client.forwardedFor, clientIp: ctx.client.ip, proto: ctx.proto, host, identity: ctx.identityHeaders, trace: ctx.trace?.upstream() },
      plan.upstream.preserveHost && host !== undefined ? host : plan.host,
      ctx.match!.route.config.forwardAuthorization,
    );
    if (body === null) {
      delete headers['content-length'];
      delete headers['content-type'];
    } else if (Buffer.isBuffer(body)) {
      delete headers['content-length']; // undici sends the buffer's own length
    }
    ctx.forwardedAt = performance.now();
    const exchange = new Exchange(ctx, plan.upstream.name, this.#hooks, this.#sendTimeout, body instanceof StreamedBody ? body : undefined, tap);
    try {
      // `servername` is read by undici's Request though its types leave it out: undefined for http:// upstreams (as
      // if not given), and one object shape for every request either way.
      const options: Dispatcher.DispatchOptions & { servername: string | undefined } = {
        path: plan.base + target.path + target.query,
        method: ctx.method as Dispatcher.HttpMethod,
        headers: headers as IncomingHttpHeaders,
        body,
        headersTimeout: plan.upstream.timeout,
        bodyTimeout: plan.upstream.timeout,
        servername: plan.servername,
      };
      plan.pool.dispatch(options, exchange);
    } catch (err) {
      // undici hands its own errors to the handler; anything thrown here is the gateway's doing.
      exchange.gatewayFault(err);
    }
  }
}

/**
 * One request's exchange with its upstream (undici's handler). Until the response head arrives, a failure is answered
 * with a coded error through the client reply; from then on the reply is the upstream's, written to the socket as it comes.
 *
 * Who is at fault decides what the breaker hears: the upstream (connection errors, timeouts, bad responses) counts;
 * the client (its body failed, it left) and the gateway (a request undici refused to build) settle the call as
 * neutral, so no client and no gateway bug can open a breaker for everyone.
 */
class Exchange implements Dispatcher.DispatchHandler {
  #controller: Dispatcher.DispatchController | undefined;
  /** Where the response body goes: the client's socket, or a tap that keeps a copy on its way there. */
  #sink: Writable | undefined;
  #clientGone = false;
  /** The client has its whole answer (or a local one): later undici events change nothing. */
  #done = false;
  readonly #res: ServerResponse;

  constructor(
    private readonly ctx: ForwardContext,
    private readonly upstream: string,
    private readonly hooks: ForwardHooks,
    private readonly sendTimeout: number,
    body: StreamedBody | undefined,
    private readonly tap: BodyTap | undefined,
  ) {
    this.#res = ctx.reply.raw;
    // A client that leaves takes its upstream request with it (the upstream stops working for nobody).
    this.#res.once('close', this.#onClientClose);
    // The client may have left while the journey ran (an HTTP/2 stream reset, a closed socket): its 'close' has been
    // and gone. Without this, the upstream's answer would be written into a dead stream that never drains, holding a
    // pooled connection until the send timeout; a burst of such streams starves the pool for everyone.
    if (responseClosed(this.#res)) this.#clientGone = true;
    // A streamed body may fail while the request still waits for a pooled connection, before undici listens to it:
    // the client is answered now, and the request is dropped when it reaches a connection (onRequestStart).
    if (body !== undefined) body.once('error', (err: Error) => this.#bodyFailed(err));
  }

  readonly #onClientClose = (): void => {
    clearTimeout(this.#stalled);
    if (this.#res.writableFinished) return;
    this.#clientGone = true;
    this.#controller?.abort(new Error('the client closed the connection'));
  };

  /** Runs while the client leaves the response unread (made only under backpressure). */
  #stalled: NodeJS.Timeout | undefined;

  readonly #resume = (): void => {
    clearTimeout(this.#stalled);
    this.#controller?.resume();
  };

  /**
   * The client stopped reading: the paused upstream response holds a pooled connection, and undici's body timeout
   * does not run while paused. Cut both after `server.timeouts.send` (nginx's send_timeout).
   */
  readonly #onStalled = (): void => {
    if (this.#done) return;
    this.#done = true;
    this.ctx.reply.log.info({ upstream: this.upstream, sendTimeout: this.sendTimeout }, 'client stopped reading the response; connection closed');
    this.#controller?.abort(new Error('the client stopped reading the response'));
    this.#res.destroy();
  };

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (!this.#clientGone && responseClosed(this.#res)) this.#clientGone = true;
    if (this.#clientGone || this.#done) controller.abort(new Error('the request no longer needs its upstream'));
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    const { ctx } = this;
    const reply = ctx.reply;
    if (!this.#clientGone && responseClosed(this.#res)) this.#onClientClose();
    if (this.#clientGone || this.#done) return;
    // An informational answer (103 Early Hints) comes before the final one: wait for that.
    if (statusCode >= 100 && statusCode < 200) return;
    if (statusCode > 599 || statusCode < 100) {
      controller.abort(new UpstreamBadResponse(`status ${statusCode}`));
      return;
    }
    // The gateway's own headers (X-Request-Id, rate-limit state) win over the upstream's.
    const out = stripResponseHopHeaders(headers as HeaderMap);
    const own = reply.ownHeaders();
    for (const name of Object.keys(own)) out[name] = own[name] as string | string[];
    // RFC 9110 §8.6: no Content-Length in a 204. (A 304's describes the selected representation: it stays.)
    if (statusCode === 204) delete out['content-length'];
    const res = this.#res;
    try {
      res.writeHead(statusCode, out as IncomingHttpHeaders);
    } catch (err) {
      // A header Node will not send (llhttp let it through): nothing went out yet, so the client gets a coded 502.
      controller.abort(new UpstreamBadResponse((err as Error).message));
      return;
    }
    // From here the reply is the upstream's, written to the socket as it comes.
    reply.takeOver();
    this.hooks.onUpstreamDone(ctx, statusCode);
    if (statusCode === 204 || statusCode === 304) {
      // These have no body whatever their Content-Length says; undici still compares the length with the bytes it
      // read (none) and fails the exchange after this head. The response is complete now: end it, so the client
      // gets it and it is recorded, and ignore undici's complaint.
      this.#done = true;
      res.end();
      return;
    }
    const contentType = headers['content-type'];
    const tap = this.tap?.(ctx, statusCode, typeof contentType === 'string' ? contentType : undefined);
    if (tap === undefined) {
      this.#sink = res;
    } else {
      tap.on('error', () => res.destroy());
      tap.pipe(res);
      this.#sink = tap;
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const sink = this.#sink;
    if (sink === undefined) return;
    if (!sink.write(chunk)) {
      // A write refused because the client is gone (its 'close' may come late, or never for a reset HTTP/2 stream)
      // will never drain: let the upstream go now instead of holding its pooled connection until the send timeout.
      if (responseClosed(this.#res)) return this.#onClientClose();
      controller.pause();
      sink.once('drain', this.#resume);
      this.#stalled = setTimeout(this.#onStalled, this.sendTimeout);
    }
  }

  onResponseEnd(): void {
    clearTimeout(this.#stalled);
    if (this.#done) return;
    this.#done = true;
    this.#sink?.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    const { ctx } = this;
    clearTimeout(this.#stalled);
    if (this.#done) return;
    if (this.#clientGone) {
      this.#done = true;
      ctx.breakerCall?.settle(undefined); // nobody to answer, and not the upstream's fault
      return;
    }
    if (error instanceof BodyFailure) return this.#bodyFailed(error);
    if (this.#sink !== undefined) {
      // The head went out: all that can be done is to cut the response, so the client sees it incomplete.
      this.#done = true;
      ctx.reply.log.warn({ upstream: this.upstream, cause: error.message }, 'upstream response cut short');
      this.#res.destroy(error);
      return;
    }
    if (isGatewayFault(error)) return this.gatewayFault(error);
    this.#done = true;
    const err = upstreamError(error);
    this.hooks.onUpstreamDone(ctx, err);
    const reason = (error as { code?: unknown }).code;
    ctx.reply.log.warn({ code: err.code, upstream: this.upstream, ...(typeof reason === 'string' ? { reason } : {}), cause: error.message }, 'upstream failed');
    ctx.reply.refuse(err);
  }

  /**
   * The gateway could not build or send this request (undici refused an argument, a header value, …): a bug or a
   * value the gateway should have encoded, never the upstream's failure. 500, logged at error, breaker untouched.
   */
  gatewayFault(error: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.ctx.breakerCall?.settle(undefined);
    this.#controller?.abort(new Error('the gateway could not build the upstream request'));
    this.ctx.reply.log.error({ upstream: this.upstream, err: error }, 'the gateway could not build the upstream request');
    this.ctx.reply.refuse(new GatewayError('PG_INTERNAL', { detail: 'the upstream request could not be built', cause: error }));
  }

  /** The client's body failed (too large, too slow, cut off): the client's fault, answered with its own code. */
  #bodyFailed(error: Error): void {
    if (this.#done) return;
    this.#done = true;
    this.ctx.breakerCall?.settle(undefined);
    this.#controller?.abort(error);
    if (this.#clientGone) return;
    if (this.#sink !== undefined) {
      this.#res.destroy(error); // the upstream already answered: the answer cannot be finished
      return;
    }
    const answer = error instanceof BodyFailure ? error.answer : new GatewayError('PG_BAD_REQUEST', { cause: error });
    this.ctx.reply.refuse(answer);
  }
}

class UpstreamBadResponse extends Error {
  readonly code = 'PG_UPSTREAM_BAD_RESPONSE';
}

/**
 * undici's errors that mean the request was never valid HTTP to send: the gateway built it (identity headers, the
 * forwarded header set, the body it read), so the gateway is at fault. A pool closed under the request (a reload
 * retired it, or shutdown) is not the upstream's doing either.
 */
const GATEWAY_FAULTS: ReadonlySet<string> = new Set([
  'UND_ERR_INVALID_ARG', // a header name or value undici refuses (e.g. outside Latin-1 or a control character)
  'UND_ERR_NOT_SUPPORTED',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_DESTROYED',
  'UND_ERR_CLOSED',
  'ERR_INVALID_CHAR', // Node's own header checks
  'ERR_INVALID_HTTP_TOKEN',
  'ERR_HTTP_INVALID_HEADER_VALUE',
]);

function isGatewayFault(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && GATEWAY_FAULTS.has(code);
}

/** undici's errors to permgate's codes (the cause is kept for the log, not the client). */
function upstreamError(error: Error): GatewayError {
  const code = (error as { code?: string }).code ?? '';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return new GatewayError('PG_UPSTREAM_TIMEOUT', { cause: error });
  if (isTlsFailure(error)) return new GatewayError('PG_UPSTREAM_TLS_FAILED', { cause: error });
  // A response llhttp cannot parse, or one the gateway will not pass on.
  if (error.name === 'HTTPParserError' || error instanceof UpstreamBadResponse || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') {
    return new GatewayError('PG_UPSTREAM_BAD_RESPONSE', { cause: error });
  }
  return new GatewayError('PG_UPSTREAM_UNAVAILABLE', { cause: error });
}

/** Whether the client's side of the exchange is gone: an HTTP/1.1 response's socket, or an HTTP/2 response's stream. */
function responseClosed(res: ServerResponse): boolean {
  if (res.destroyed) return true;
  const stream = (res as ServerResponse & { stream?: { closed?: boolean; destroyed?: boolean } }).stream;
  return stream !== undefined && (stream.closed === true || stream.destroyed === true);
}
