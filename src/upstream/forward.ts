// Sends an allowed request to its upstream: exactly the canonical path that was authorized, the raw query, a body
// streamed as it arrives, and a header set the gateway owns. Upstream failures become coded 502/504 replies.
import replyFrom from '@fastify/reply-from';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Dispatcher } from 'undici';
import type { GatewayConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';
import type { RequestContext } from '../pipeline/request-context.js';
import { RequestHeaderPolicy, stripResponseHopHeaders, type HeaderMap } from './request-headers.js';

export interface ForwardHooks {
  /** Called when the upstream's response head arrives (or the exchange fails), for latency metrics. */
  onUpstreamDone(ctx: RequestContext, statusOrError: number | GatewayError): void;
  /** Turns a local error into the client's reply. */
  sendError(request: FastifyRequest, reply: FastifyReply, err: GatewayError): void;
}

const SAFE_HOST = /^[A-Za-z0-9.\-:[\]]{1,255}$/;

export class Forwarder {
  readonly #headers: RequestHeaderPolicy;
  readonly #hooks: ForwardHooks;

  constructor(config: GatewayConfig, hooks: ForwardHooks) {
    this.#headers = new RequestHeaderPolicy(config.server);
    this.#hooks = hooks;
  }

  /** Registers reply-from with the shared dispatcher. Retries are off: the gateway never replays a request. */
  async register(app: FastifyInstance, dispatcher: Dispatcher): Promise<void> {
    await app.register(replyFrom, { undici: dispatcher as never, disableRequestLogging: true, disableCache: true });
  }

  forward(request: FastifyRequest, reply: FastifyReply, ctx: RequestContext): void {
    const route = ctx.match!.route;
    const upstream = route.upstream;
    const base = upstream.url.pathname === '/' ? '' : upstream.url.pathname.replace(/\/$/, '');
    const clientHost = request.headers.host;
    const facts = {
      requestId: ctx.requestId,
      forwardedFor: ctx.client.forwardedFor,
      clientIp: ctx.client.ip,
      proto: ctx.proto,
      host: clientHost !== undefined && SAFE_HOST.test(clientHost) ? clientHost : undefined,
      identity: ctx.identityHeaders,
    };
    const preserveHost = upstream.preserveHost && facts.host !== undefined ? facts.host : undefined;
    ctx.forwardedAt = performance.now();
    reply.from(base + ctx.target!.path, {
      getUpstream: () => upstream.url.origin,
      timeout: upstream.timeout,
      retryDelay: () => null,
      rewriteRequestHeaders: (_req, headers) => this.#headers.apply(headers as HeaderMap, facts, preserveHost) as never,
      rewriteHeaders: (headers) => stripResponseHopHeaders(headers as HeaderMap) as never,
      onResponse: (_req, res, upstreamResponse) => {
        this.#hooks.onUpstreamDone(ctx, upstreamResponse.statusCode);
        res.send(upstreamResponse.stream);
      },
      onError: (res, { error }) => {
        // A streamed body cut at its limit fails the upstream call; the client's error is the body, not the upstream.
        const err = ctx.bodyTooLarge ? new GatewayError('PG_BODY_TOO_LARGE') : upstreamError(error);
        this.#hooks.onUpstreamDone(ctx, err);
        request.log.warn({ code: err.code, upstream: upstream.name, cause: (error as Error).message }, 'upstream failed');
        this.#hooks.sendError(request, res as FastifyReply, err);
      },
    });
  }
}

/** reply-from's errors, by status, to permgate's codes (the cause is kept for the log, not the client). */
function upstreamError(error: unknown): GatewayError {
  const { statusCode, code } = error as { statusCode?: number; code?: string };
  if (statusCode === 504) return new GatewayError('PG_UPSTREAM_TIMEOUT', { cause: error });
  if (code === 'FST_REPLY_FROM_BAD_GATEWAY') return new GatewayError('PG_UPSTREAM_BAD_RESPONSE', { cause: error });
  return new GatewayError('PG_UPSTREAM_UNAVAILABLE', { cause: error });
}
