// buildGateway(config, deps): the data-plane Fastify app and the admin app, wired to the journey. No listen here
// except in `listen()`, so tests drive a gateway directly.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { adminAuth, type AdminJwt } from './admin/admin-auth.js';
import { buildAdminServer } from './admin/admin-server.js';
import { registerRbacRoutes } from './admin/rbac-routes.js';
import { registerRevocationRoutes } from './admin/revocation-routes.js';
import { auditTrailFor, buildAuth } from './auth/build-auth.js';
import { buildRateLimiter } from './ratelimit/build-rate-limiter.js';
import type { RevocationList } from './auth/revocation-list.js';
import type { AuditTrail } from './observability/audit-trail.js';
import { refuseAll, type Authenticator } from './auth/authenticator.js';
import type { LoadedConfig } from './config/load.js';
import { HTTP_METHODS } from './config/types.js';
import { errorBody, GatewayError, isGatewayError } from './errors.js';
import { loggerOptions } from './observability/logger.js';
import { GatewayMetrics } from './observability/metrics.js';
import { buildJourney } from './pipeline/index.js';
import type { RequestContext } from './pipeline/request-context.js';
import { runStages } from './pipeline/stage.js';
import { denyAll, type Authorizer } from './rbac/authorizer.js';
import { buildRbac, denialReporter } from './rbac/build-rbac.js';
import { PolicyEditor } from './rbac/policy-editor.js';
import type { RbacAuthorizer } from './rbac/rbac-authorizer.js';
import type { Identity } from './pipeline/request-context.js';
import { RedisStore } from './stores/redis/redis-store.js';
import { openStore, type Store } from './stores/store.js';
import { plainAddress, resolveClientAddress, TrustedProxies } from './upstream/client-address.js';
import { Forwarder } from './upstream/forward.js';
import { limitBody } from './upstream/limit-body.js';
import { createUpstreamDispatcher } from './upstream/upstream-pool.js';

declare module 'fastify' {
  interface FastifyRequest {
    pg: RequestContext | null;
    pgError: GatewayError | null;
  }
}

export interface GatewayDeps {
  readonly authenticator?: Authenticator;
  readonly authorizer?: Authorizer;
  readonly store?: Store;
  /** Overrides the configured logger (tests pass false). */
  readonly logger?: FastifyServerOptions['logger'];
  /** Registers process-wide metrics (CPU, memory, event loop). Off in tests that build several gateways. */
  readonly processMetrics?: boolean;
  /** The clock (milliseconds since the epoch); tests inject one instead of sleeping. */
  readonly now?: () => number;
}

export interface Gateway {
  readonly app: FastifyInstance;
  readonly admin: FastifyInstance;
  readonly metrics: GatewayMetrics;
  readonly store: Store;
  /** Present when `auth` is configured. */
  readonly revocations: RevocationList | undefined;
  /** Present when `auth` is configured: without authentication nobody reaches authorization. */
  readonly rbac: RbacAuthorizer | undefined;
  readonly audit: AuditTrail;
  /** Listens on the configured addresses (port 0 picks a free one) and returns both base URLs. */
  listen(): Promise<{ url: string; adminUrl: string }>;
  /** Stops accepting, lets in-flight requests finish, closes pools and the store. */
  close(): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export async function buildGateway(loaded: LoadedConfig, deps: GatewayDeps = {}): Promise<Gateway> {
  const { config } = loaded;
  const { server } = config;
  const logger = deps.logger !== undefined ? deps.logger : loggerOptions(server);
  const trusted = new TrustedProxies(server.trustProxy);
  const metrics = new GatewayMetrics({ processMetrics: deps.processMetrics ?? true });
  const store = deps.store ?? openStore(config.store);
  const now = deps.now ?? Date.now;

  const app = Fastify({
    logger,
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: false, // SECURITY.md rule 8: the client address is resolved by upstream/client-address.ts
    requestIdHeader: false,
    genReqId: (req: IncomingMessage) => {
      // A trusted proxy's request id is kept, so one id follows the request through the whole chain.
      const sent = req.headers['x-request-id'];
      if (typeof sent === 'string' && REQUEST_ID.test(sent) && trusted.trusts(plainAddress(req.socket.remoteAddress))) return sent;
      return randomUUID();
    },
    serverFactory: (handler) => createServer({ maxHeaderSize: server.limits.headerSize }, handler) as Server,
    return503OnClosing: true,
    clientErrorHandler: (err: Error & { code?: string }, socket: Socket) => {
      // Node's parser refused the bytes before any route ran: answer in the same JSON shape, then close.
      const error = new GatewayError(err.code === 'HPE_HEADER_OVERFLOW' ? 'PG_HEADERS_TOO_LARGE' : 'PG_BAD_REQUEST');
      const status = error.status;
      const reason = status === 431 ? 'Request Header Fields Too Large' : 'Bad Request';
      const body = JSON.stringify(errorBody(error));
      if (socket.writable) {
        socket.end(`HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      } else socket.destroy();
    },
    frameworkErrors: (error, request, reply) => {
      sendError(request, reply, new GatewayError(error.code === 'FST_ERR_BAD_URL' ? 'PG_PATH_INVALID' : 'PG_BAD_REQUEST', { cause: error }));
    },
  });
  const audit = auditTrailFor(store);
  if (store instanceof RedisStore) {
    // Start on the shared store when it is there: without this wait, the first requests of a fresh instance would
    // be limited by the local share while the connection opens, and their budgets counted twice.
    await store.ready(2_000).catch((err: Error) => app.log.warn({ reason: err.message }, 'shared store not reachable at start; serving degraded until it is'));
    // Log transitions only, not every reconnection attempt.
    let reachable = store.status().ready;
    store.client.on('ready', () => {
      if (!reachable) app.log.info('shared store reachable again');
      reachable = true;
    });
    store.client.on('close', () => {
      if (reachable) app.log.warn('shared store unreachable: routes follow their onStoreDown until it returns');
      reachable = false;
    });
  }
  const auth = config.auth === undefined ? undefined : await buildAuth(config.auth, store, metrics, app.log, now);
  const rbac = auth === undefined ? undefined : await buildRbac(config.rbac, store, metrics, app.log, now);
  const journey = buildJourney(loaded, {
    authenticator: deps.authenticator ?? auth?.authenticator ?? refuseAll,
    authorizer: deps.authorizer ?? rbac ?? denyAll,
    authorization: denialReporter(config.rbac, audit, metrics, app.log, now),
    revocations: auth && {
      list: auth.revocations,
      onStoreDown: config.auth!.revocation.onStoreDown,
      outcomes: { onCheck: (outcome) => metrics.revocationChecks.inc({ outcome }) },
    },
    rateLimiter: buildRateLimiter(config, store, metrics, app.log, now),
  });

  app.decorateRequest('pg', null);
  app.decorateRequest('pgError', null);

  function sendError(request: FastifyRequest, reply: FastifyReply, err: GatewayError): void {
    request.pgError = err;
    if (reply.sent) return;
    reply
      .code(err.status)
      .headers({ ...err.headers, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-request-id': request.id })
      .send(JSON.stringify(errorBody(err, request.id)));
  }

  const forwarder = new Forwarder(config, {
    onUpstreamDone(ctx, outcome) {
      ctx.upstreamDoneAt = performance.now();
      const seconds = (ctx.upstreamDoneAt - (ctx.forwardedAt ?? ctx.upstreamDoneAt)) / 1000;
      const label = typeof outcome === 'number' ? (outcome >= 500 ? '5xx' : 'ok') : outcome.code === 'PG_UPSTREAM_TIMEOUT' ? 'timeout' : 'error';
      metrics.upstreamDuration.observe({ upstream: ctx.match!.route.upstream.name, outcome: label }, seconds);
    },
    sendError,
  });
  const dispatcher = createUpstreamDispatcher(config.upstreams.values());
  await forwarder.register(app, dispatcher);

  // Bodies are streamed to the upstream as they arrive, never parsed or buffered by the gateway.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (request, payload, done) => {
    const ctx = request.pg;
    const limit = ctx?.match?.route.config.bodyLimit ?? server.limits.bodySize;
    done(null, limitBody(payload as Readable, limit, () => ctx && (ctx.bodyTooLarge = true)));
  });

  app.addHook('onRequest', (request, reply, done) => {
    const raw = request.raw;
    const client = resolveClientAddress(raw.socket.remoteAddress, raw.headers['x-forwarded-for'], trusted);
    const sentProto = raw.headers['x-forwarded-proto'];
    const ctx: RequestContext = {
      requestId: request.id,
      method: raw.method ?? 'GET',
      rawTarget: raw.url ?? '',
      headers: raw.headers,
      client,
      proto: client.peerTrusted && sentProto === 'https' ? 'https' : 'http',
      startedAt: performance.now(),
      target: undefined,
      match: undefined,
      identity: undefined,
      token: undefined,
      identityHeaders: {},
      forwardedAt: undefined,
      upstreamDoneAt: undefined,
      responseHeaders: undefined,
      bodyTooLarge: false,
    };
    request.pg = ctx;
    reply.header('x-request-id', request.id);
    let pending: void | Promise<void>;
    try {
      pending = runStages(journey, ctx);
    } catch (err) {
      return fail(request, reply, err);
    }
    if (pending === undefined) return passed(reply, ctx, done);
    pending.then(() => passed(reply, ctx, done), (err: unknown) => fail(request, reply, err));
  });

  function passed(reply: FastifyReply, ctx: RequestContext, done: () => void): void {
    if (ctx.responseHeaders !== undefined) reply.headers(ctx.responseHeaders);
    done();
  }

  function fail(request: FastifyRequest, reply: FastifyReply, err: unknown): void {
    if (isGatewayError(err)) return sendError(request, reply, err);
    request.log.error({ err }, 'pipeline stage failed');
    sendError(request, reply, new GatewayError('PG_INTERNAL', { cause: err }));
  }

  app.route({
    method: [...HTTP_METHODS],
    url: '/*',
    handler(request, reply) {
      const ctx = request.pg;
      // Only a request that went through every stage has a match; anything else is refused, never forwarded.
      if (ctx?.match === undefined || ctx.target === undefined) return sendError(request, reply, new GatewayError('PG_ROUTE_NOT_FOUND'));
      try {
        forwarder.forward(request, reply, ctx);
      } catch (err) {
        fail(request, reply, err);
      }
    },
  });
  app.setNotFoundHandler((request, reply) => sendError(request, reply, new GatewayError('PG_ROUTE_NOT_FOUND')));
  app.setErrorHandler((err, request, reply) => {
    const ctx = request.pg;
    if (ctx?.bodyTooLarge) return sendError(request, reply, new GatewayError('PG_BODY_TOO_LARGE'));
    if (isGatewayError(err)) return sendError(request, reply, err);
    const status = (err as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) return sendError(request, reply, new GatewayError('PG_BAD_REQUEST', { cause: err }));
    request.log.error({ err }, 'request failed');
    sendError(request, reply, new GatewayError('PG_INTERNAL', { cause: err }));
  });

  app.addHook('onResponse', (request, reply, done) => {
    const ctx = request.pg;
    const route = ctx?.match?.route.pattern ?? '(none)';
    const err = request.pgError;
    const status = reply.statusCode;
    metrics.requests.inc({ route, method: ctx?.method ?? request.method, status, code: err?.code ?? '' });
    if (ctx) {
      const end = ctx.forwardedAt ?? performance.now();
      metrics.gatewayDuration.observe({ route }, (end - ctx.startedAt) / 1000);
    }
    if (err) {
      // Every refusal is logged with its reason code (never the token or the raw target); a 5xx of the gateway's
      // own (store down, upstream failing) at warn.
      const fields = { code: err.code, status, route, method: ctx?.method, path: ctx?.target?.path, client: ctx?.client.ip, subject: ctx?.identity?.subject };
      if (err.status < 500) request.log.info(fields, 'request refused');
      else request.log.warn(fields, 'request failed');
    } else if (server.accessLog) {
      request.log.info({ route, method: ctx?.method, path: ctx?.target?.path, status, client: ctx?.client.ip, subject: ctx?.identity?.subject, ms: reply.elapsedTime }, 'request');
    }
    done();
  });

  const admin = buildAdminServer({
    metrics,
    store,
    logger,
    readiness: () => (auth && rbac ? { revocations: { current: auth.revocations.isCurrent() }, rbac: { current: rbac.isCurrent() } } : {}),
  });
  // A token as the data plane would accept it: verified, and not revoked (unknown revocations: refused).
  const identify = async (token: string): Promise<Identity> => {
    const verified = await auth!.authenticator.verify(token);
    if (!auth!.revocations.isCurrent()) throw new GatewayError('PG_STORE_UNAVAILABLE', { detail: 'revocations cannot be checked' });
    if (auth!.revocations.isRevoked(verified)) throw new GatewayError('PG_TOKEN_REVOKED');
    return verified.identity;
  };
  const adminJwt: AdminJwt | undefined =
    auth && rbac && server.admin.jwt
      ? {
          identify,
          // Admin codes are global (no tenant), and fail closed like a sensitive route.
          holds: async (identity, code) => (await rbac.authorize({ identity, tenant: undefined, codes: [code], mode: 'all', sensitive: true })).allowed,
        }
      : undefined;
  const authorizeAdmin = adminAuth(server.admin.token, adminJwt);
  if (auth && rbac) {
    registerRevocationRoutes(admin, {
      revocations: auth.revocations,
      audit,
      authorize: authorizeAdmin,
      maxLifetimeSeconds: Math.ceil(config.auth!.jwt.maxLifetime / 1000),
      now,
    });
    registerRbacRoutes(admin, {
      authorize: authorizeAdmin,
      editor: new PolicyEditor(config.rbac, rbac.store, rbac, { audit, revocations: auth.revocations, now }),
      authorizer: rbac,
      config: config.rbac,
      routes: loaded.routes,
      caseInsensitive: server.paths.caseInsensitive,
      identify,
      now,
    });
  }

  return {
    app,
    admin,
    metrics,
    store,
    revocations: auth?.revocations,
    rbac,
    audit,
    async listen() {
      const url = await app.listen({ host: server.listen.host, port: server.listen.port });
      const adminUrl = await admin.listen({ host: server.admin.host, port: server.admin.port });
      return { url, adminUrl };
    },
    async close() {
      await app.close();
      await admin.close();
      await dispatcher.destroy(); // in-flight requests are done once app.close() resolves
      await auth?.close();
      await rbac?.close();
      await store.close();
    },
  };
}
