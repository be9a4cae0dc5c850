// Sends an allowed request to its upstream: exactly the canonical path that was authorized, the raw query, a body
// streamed as it arrives, and a header set the gateway owns. Upstream failures become coded 502/504 replies.
//
// Built on undici's dispatcher directly rather than @fastify/reply-from: one handler object per request that writes
// the upstream's response head and chunks straight to the client's socket, with backpressure both ways. reply-from
// wraps each exchange in a request API call, a body stream, a URL parse, several header copies and Fastify's stream
// send; measured here, that wrapping cost about half of a bare proxy's CPU per request (README, Decisions).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { Readable, type Transform, type Writable } from 'node:stream';
import type { Dispatcher, Pool } from 'undici';
import type { GatewayConfig, UpstreamConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';
import type { RequestContext } from '../pipeline/request-context.js';
import type { CarriedOver } from './carried-over.js';
import { RequestHeaderPolicy, stripResponseHopHeaders, type HeaderMap } from './request-headers.js';
import { createPool, poolKey } from './upstream-pool.js';

export interface ForwardHooks {
  /** Called when the upstream's response head arrives (or the exchange fails), for latency metrics. */
  onUpstreamDone(ctx: RequestContext, statusOrError: number | GatewayError): void;
  /** Turns a local error into the client's reply. */
  sendError(request: FastifyRequest, reply: FastifyReply, err: GatewayError): void;
  /** A stream the response body passes through (to keep a copy), or undefined. */
  tap?(ctx: RequestContext, status: number, contentType: string | undefined): Transform | undefined;
}

const SAFE_HOST = /^[A-Za-z0-9.\-:[\]]{1,255}$/;

/** What forward() needs per upstream, prepared once. */
interface UpstreamPlan {
  readonly upstream: UpstreamConfig;
  readonly pool: Pool;
  /** The upstream's own Host, sent unless `preserveHost`. */
  readonly host: string;
  /** The URL's base path, put before every forwarded path ('' for none). */
  readonly base: string;
}

export class Forwarder {
  readonly #headers: RequestHeaderPolicy;
  readonly #hooks: ForwardHooks;
  readonly #plans = new Map<string, UpstreamPlan>();
  /** The keys of the pools this config uses: what must stay open while a request of this config may run. */
  readonly poolKeys = new Set<string>();

  /** Pools come from `pools`, the gateway's: an upstream unchanged by a reload keeps its connections. */
  constructor(config: GatewayConfig, pools: CarriedOver<Pool>, hooks: ForwardHooks) {
    this.#headers = new RequestHeaderPolicy(config.server);
    this.#hooks = hooks;
    for (const upstream of config.upstreams.values()) {
      const { url } = upstream;
      const key = poolKey(upstream);
      this.poolKeys.add(key);
      const pool = pools.obtain(key, () => createPool(upstream));
      this.#plans.set(upstream.name, { upstream, pool, host: url.host, base: url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '') });
    }
  }

  forward(request: FastifyRequest, reply: FastifyReply, ctx: RequestContext): void {
    const plan = this.#plans.get(ctx.match!.route.upstream.name)!;
    const target = ctx.target!;
    // The content-type parser gives a stream only to requests that may carry a body; any other request goes without
    // one, and without the length it declared (a GET's body is not forwarded, so its length would be a lie).
    const body = request.body instanceof Readable ? request.body : null;
    const clientHost = request.headers.host;
    const host = clientHost !== undefined && SAFE_HOST.test(clientHost) ? clientHost : undefined;
    const headers = this.#headers.apply(
      request.headers as HeaderMap,
      { requestId: ctx.requestId, forwardedFor: ctx.client.forwardedFor, clientIp: ctx.client.ip, proto: ctx.proto, host, identity: ctx.identityHeaders },
      plan.upstream.preserveHost && host !== undefined ? host : plan.host,
    );
    if (body === null) {
      delete headers['content-length'];
      delete headers['content-type'];
    }
    ctx.forwardedAt = performance.now();
    const exchange = new Exchange(request, reply, ctx, plan.upstream.name, this.#hooks);
    plan.pool.dispatch(
      {
        path: plan.base + target.path + target.query,
        method: ctx.method as Dispatcher.HttpMethod,
        headers: headers as IncomingHttpHeaders,
        body,
        headersTimeout: plan.upstream.timeout,
        bodyTimeout: plan.upstream.timeout,
      },
      exchange,
    );
  }
}

/**
 * One request's exchange with its upstream (undici's handler). Until the response head arrives, a failure is answered
 * with a coded error through Fastify; from then on the reply is the upstream's, written to the socket as it comes.
 */
class Exchange implements Dispatcher.DispatchHandler {
  #controller: Dispatcher.DispatchController | undefined;
  /** Where the response body goes: the client's socket, or a tap that keeps a copy on its way there. */
  #sink: Writable | undefined;
  #clientGone = false;
  readonly #res: ServerResponse;

  constructor(
    private readonly request: FastifyRequest,
    private readonly reply: FastifyReply,
    private readonly ctx: RequestContext,
    private readonly upstream: string,
    private readonly hooks: ForwardHooks,
  ) {
    this.#res = reply.raw;
    // A client that leaves takes its upstream request with it (the upstream stops working for nobody).
    this.#res.once('close', this.#onClientClose);
  }

  readonly #onClientClose = (): void => {
    if (this.#res.writableFinished) return;
    this.#clientGone = true;
    this.#controller?.abort(new Error('the client closed the connection'));
  };

  readonly #resume = (): void => this.#controller?.resume();

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#clientGone) controller.abort(new Error('the client closed the connection'));
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    const { ctx, reply } = this;
    // An informational answer (103 Early Hints) comes before the final one: wait for that.
    if (statusCode >= 100 && statusCode < 200) return;
    if (statusCode > 599 || statusCode < 100) {
      controller.abort(new UpstreamBadResponse(`status ${statusCode}`));
      return;
    }
    // The gateway's own headers (X-Request-Id, rate-limit state) win over the upstream's.
    const out = stripResponseHopHeaders(headers as HeaderMap);
    const own = reply.getHeaders();
    for (const name of Object.keys(own)) out[name] = own[name] as string | string[];
    const res = this.#res;
    try {
      res.writeHead(statusCode, out as IncomingHttpHeaders);
    } catch (err) {
      // A header Node will not send (llhttp let it through): nothing went out yet, so the client gets a coded 502.
      controller.abort(new UpstreamBadResponse((err as Error).message));
      return;
    }
    // From here the reply is the upstream's, written to the socket as it comes.
    reply.hijack();
    this.hooks.onUpstreamDone(ctx, statusCode);
    const contentType = headers['content-type'];
    const tap = this.hooks.tap?.(ctx, statusCode, typeof contentType === 'string' ? contentType : undefined);
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
      controller.pause();
      sink.once('drain', this.#resume);
    }
  }

  onResponseEnd(): void {
    this.#sink?.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    const { ctx, request, reply } = this;
    if (this.#clientGone) {
      ctx.breakerCall?.settle(undefined); // nobody to answer, and not the upstream's fault
      return;
    }
    if (this.#sink !== undefined) {
      // The head went out: all that can be done is to cut the response, so the client sees it incomplete.
      request.log.warn({ upstream: this.upstream, cause: error.message }, 'upstream response cut short');
      this.#res.destroy(error);
      return;
    }
    // A streamed body cut at its limit fails the upstream call; the client's error is the body, not the upstream.
    const err = ctx.bodyTooLarge ? new GatewayError('PG_BODY_TOO_LARGE') : upstreamError(error);
    this.hooks.onUpstreamDone(ctx, err);
    request.log.warn({ code: err.code, upstream: this.upstream, cause: error.message }, 'upstream failed');
    this.hooks.sendError(request, reply, err);
  }
}

class UpstreamBadResponse extends Error {
  readonly code = 'PG_UPSTREAM_BAD_RESPONSE';
}

/** undici's errors to permgate's codes (the cause is kept for the log, not the client). */
function upstreamError(error: Error): GatewayError {
  const code = (error as { code?: string }).code ?? '';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return new GatewayError('PG_UPSTREAM_TIMEOUT', { cause: error });
  // A response llhttp cannot parse, or one the gateway will not pass on.
  if (error.name === 'HTTPParserError' || error instanceof UpstreamBadResponse || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') {
    return new GatewayError('PG_UPSTREAM_BAD_RESPONSE', { cause: error });
  }
  return new GatewayError('PG_UPSTREAM_UNAVAILABLE', { cause: error });
}
