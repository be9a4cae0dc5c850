// Sends an allowed request to its upstream: exactly the canonical path that was authorized, the raw query, a body
// streamed as it arrives, and a header set the gateway owns. Upstream failures become coded 502/504 replies.
import replyFrom from '@fastify/reply-from';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { pipeline, type Transform } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { GatewayConfig, UpstreamConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';
import type { RequestContext } from '../pipeline/request-context.js';
import { RequestHeaderPolicy, stripResponseHopHeaders, type HeaderMap } from './request-headers.js';

export interface ForwardHooks {
  /** Called when the upstream's response head arrives (or the exchange fails), for latency metrics. */
  onUpstreamDone(ctx: RequestContext, statusOrError: number | GatewayError): void;
  /** Turns a local error into the client's reply. */
  sendError(request: FastifyRequest, reply: FastifyReply, err: GatewayError): void;
  /** A stream the response body passes through (to keep a copy), or undefined. */
  tap?(ctx: RequestContext, status: number, contentType: string | undefined): Transform | undefined;
}

const SAFE_HOST = /^[A-Za-z0-9.\-:[\]]{1,255}$/;

type FromOptions = NonNullable<Parameters<FastifyReply['from']>[1]>;

/** What forward() needs per upstream, prepared once: the options object and its callbacks are shared by requests. */
interface UpstreamPlan {
  readonly base: string;
  readonly options: FromOptions;
}

/** Registers reply-from once, with the process's dispatcher. Retries are off: the gateway never replays a request. */
export async function registerProxy(app: FastifyInstance, dispatcher: Dispatcher): Promise<void> {
  await app.register(replyFrom, { undici: dispatcher as never, disableRequestLogging: true, disableCache: true });
}

export class Forwarder {
  readonly #headers: RequestHeaderPolicy;
  readonly #hooks: ForwardHooks;
  readonly #plans = new Map<string, UpstreamPlan>();

  constructor(config: GatewayConfig, hooks: ForwardHooks) {
    this.#headers = new RequestHeaderPolicy(config.server);
    this.#hooks = hooks;
    for (const upstream of config.upstreams.values()) this.#plans.set(upstream.name, this.#plan(upstream));
  }

  forward(_request: FastifyRequest, reply: FastifyReply, ctx: RequestContext): void {
    const plan = this.#plans.get(ctx.match!.route.upstream.name)!;
    ctx.forwardedAt = performance.now();
    reply.from(plan.base + ctx.target!.path, plan.options);
  }

  /** Callbacks read the request's context from `request.pg`, so no closure is allocated per request. */
  #plan(upstream: UpstreamConfig): UpstreamPlan {
    const origin = upstream.url.origin;
    const headers = this.#headers;
    const hooks = this.#hooks;
    const options: FromOptions = {
      getUpstream: () => origin,
      timeout: upstream.timeout,
      retryDelay: () => null,
      rewriteRequestHeaders: (request, incoming) => {
        const ctx = request.pg!;
        const clientHost = request.headers.host;
        const host = clientHost !== undefined && SAFE_HOST.test(clientHost) ? clientHost : undefined;
        const facts = {
          requestId: ctx.requestId,
          forwardedFor: ctx.client.forwardedFor,
          clientIp: ctx.client.ip,
          proto: ctx.proto,
          host,
          identity: ctx.identityHeaders,
        };
        return headers.apply(incoming as HeaderMap, facts, upstream.preserveHost ? host : undefined) as never;
      },
      rewriteHeaders: (incoming) => stripResponseHopHeaders(incoming as HeaderMap) as never,
      onResponse: (request, reply, upstreamResponse) => {
        const ctx = request.pg!;
        const status = upstreamResponse.statusCode;
        hooks.onUpstreamDone(ctx, status);
        const contentType = (upstreamResponse as unknown as { headers: Record<string, string | string[] | undefined> }).headers['content-type'];
        const tap = hooks.tap?.(ctx, status, typeof contentType === 'string' ? contentType : undefined);
        if (tap === undefined) return void reply.send(upstreamResponse.stream);
        reply.send(pipeline(upstreamResponse.stream, tap, () => {}));
      },
      onError: (reply, { error }) => {
        const request = reply.request;
        const ctx = request.pg!;
        // A streamed body cut at its limit fails the upstream call; the client's error is the body, not the upstream.
        const err = ctx.bodyTooLarge ? new GatewayError('PG_BODY_TOO_LARGE') : upstreamError(error);
        hooks.onUpstreamDone(ctx, err);
        request.log.warn({ code: err.code, upstream: upstream.name, cause: (error as Error).message }, 'upstream failed');
        hooks.sendError(request as unknown as FastifyRequest, reply as FastifyReply, err);
      },
    };
    return { base: upstream.url.pathname === '/' ? '' : upstream.url.pathname.replace(/\/$/, ''), options };
  }
}

/** reply-from's errors, by status, to permgate's codes (the cause is kept for the log, not the client). */
function upstreamError(error: unknown): GatewayError {
  const { statusCode, code } = error as { statusCode?: number; code?: string };
  if (statusCode === 504) return new GatewayError('PG_UPSTREAM_TIMEOUT', { cause: error });
  if (code === 'FST_REPLY_FROM_BAD_GATEWAY') return new GatewayError('PG_UPSTREAM_BAD_RESPONSE', { cause: error });
  return new GatewayError('PG_UPSTREAM_UNAVAILABLE', { cause: error });
}
