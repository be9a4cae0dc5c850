// buildGateway(config, deps): the data-plane Fastify app and the admin app, wired to the journey of the current
// Runtime (runtime.ts). No listen here except in `listen()`, so tests drive a gateway directly. `reload()` swaps in a
// new Runtime built from the file; `close()` drains.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { Pool } from 'undici';
import { buildAdminApi } from './admin/admin-api.js';
import type { Authenticator } from './auth/authenticator.js';
import { buildRevocations } from './auth/build-auth.js';
import type { RevocationList } from './auth/revocation-list.js';
import { ConfigError, formatIssue } from './config/config-error.js';
import { loadConfig, type LoadedConfig } from './config/load.js';
import { restartOnlyChanges } from './config/reload-check.js';
import { HTTP_METHODS } from './config/types.js';
import { errorBody, GatewayError, isGatewayError } from './errors.js';
import type { AuditTrail } from './observability/audit-trail.js';
import { loggerOptions } from './observability/logger.js';
import { boundedField, RefusalLog } from './observability/refusal-log.js';
import { GatewayMetrics } from './observability/metrics.js';
import type { RequestContext } from './pipeline/request-context.js';
import { runStages } from './pipeline/stage.js';
import { rateLimitStores } from './ratelimit/build-rate-limiter.js';
import type { Authorizer } from './rbac/authorizer.js';
import { buildRbac } from './rbac/build-rbac.js';
import type { RbacAuthorizer } from './rbac/rbac-authorizer.js';
import { buildRuntime, type Runtime, type Shared } from './runtime.js';
import { openStore } from './stores/open-store.js';
import type { Store } from './stores/store.js';
import { plainAddress, resolveClientAddress } from './upstream/client-address.js';
import { CarriedOver } from './upstream/carried-over.js';
import type { Breaker } from './upstream/circuit-breaker.js';
import type { LastGoodCache } from './upstream/last-good.js';
import { BodyFailure } from './upstream/body-failure.js';
import { StreamedBody } from './upstream/streamed-body.js';
import { readRequestBody } from './upstream/request-body.js';
import { UploadSlots } from './upstream/upload-slots.js';
import { retirePool } from './upstream/upstream-pool.js';
import { answerClientError } from './server/client-error.js';
import { hostHeaderCount } from './server/host-header.js';
import { applyServerLimits, createDataPlaneServer } from './server/http-server.js';

declare module 'fastify' {
  interface FastifyRequest {
    pg: RequestContext | null;
    pgError: GatewayError | null;
    pgRuntime: Runtime | null;
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

export interface ReloadResult {
  readonly file: string;
  readonly routes: number;
}

export interface Gateway {
  readonly app: FastifyInstance;
  readonly admin: FastifyInstance;
  readonly metrics: GatewayMetrics;
  readonly store: Store;
  /** Present once a config with `auth` has been loaded. */
  readonly revocations: RevocationList | undefined;
  readonly rbac: RbacAuthorizer;
  readonly audit: AuditTrail;
  /** The config in force. */
  readonly config: LoadedConfig;
  /** Listens on the configured addresses (port 0 picks a free one) and returns both base URLs. */
  listen(): Promise<{ url: string; adminUrl: string }>;
  /**
   * Re-reads the config file (or takes `next`) and swaps it in; requests in flight finish on the old one. Throws
   * ConfigError, and keeps the old config, when the new one is invalid or changes what only a restart can.
   */
  reload(options?: { readonly next?: LoadedConfig; readonly actor?: string }): Promise<ReloadResult>;
  /** Stops accepting, lets in-flight requests finish (up to server.drainTimeout), closes pools and the store. */
  close(): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export async function buildGateway(loaded: LoadedConfig, deps: GatewayDeps = {}): Promise<Gateway> {
  const { config: initial } = loaded;
  const logger = deps.logger !== undefined ? deps.logger : loggerOptions(initial.server);
  const metrics = new GatewayMetrics({ processMetrics: deps.processMetrics ?? true });
  const store = deps.store ?? openStore(initial.store);
  const now = deps.now ?? Date.now;
  let current: Runtime | undefined;
  let draining = false;
  let inFlight = 0;

  const app = Fastify({
    logger,
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: false, // docs/security-rules.md rule 8: the client address is resolved by upstream/client-address.ts
    requestIdHeader: false,
    genReqId: (req: IncomingMessage) => {
      // A trusted proxy's request id is kept, so one id follows the request through the whole chain.
      const sent = req.headers['x-request-id'];
      if (typeof sent === 'string' && REQUEST_ID.test(sent) && current?.trusted.trusts(plainAddress(req.socket.remoteAddress))) return sent;
      return randomUUID();
    },
    // Timeouts, the connection cap and 100-continue: server/http-server.ts.
    serverFactory: (handler) => createDataPlaneServer(initial.server, handler),
    // Requests that arrive while draining get the coded 503 below, not Fastify's own bare one.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // Node's parser refused the bytes (or they came too slowly) before any route ran: the same coded JSON shape.
    clientErrorHandler: answerClientError,
    frameworkErrors: (error, request, reply) => {
      sendError(request, reply, new GatewayError(error.code === 'FST_ERR_BAD_URL' ? 'PG_PATH_INVALID' : 'PG_BAD_REQUEST', { cause: error }));
    },
  });
  const audit = store.auditTrail(initial.store.audit);
  const notice = store.notice();
  if (notice !== undefined) app.log[notice.level](notice.fields ?? {}, notice.message);
  // Start on the shared store when it is there: without this wait, the first requests of a fresh instance would be
  // limited by the local share while the connection opens, and their budgets counted twice.
  await store.ready(2_000).catch((err: Error) => app.log.warn({ reason: err.message }, 'shared store not reachable at start; serving degraded until it is'));
  store.watch((reachable) => {
    if (reachable) app.log.info('shared store reachable again');
    else app.log.warn('shared store unreachable: routes follow their onStoreDown until it returns');
  });

  const rbac = await buildRbac(initial.rbac, store, metrics, app.log, now);
  let revocations: RevocationList | undefined;
  const shared: Shared = {
    store,
    metrics,
    audit,
    rbac,
    rateLimits: rateLimitStores(store, metrics, app.log, now),
    now,
    carried: {
      pools: new CarriedOver<Pool>(retirePool),
      breakers: new CarriedOver<Breaker>((breaker) => breaker.shutdown()),
      lastGood: new CarriedOver<LastGoodCache>(),
    },
    async revocations(config) {
      revocations ??= await buildRevocations(config, store, metrics, now);
      return revocations;
    },
    authenticator: deps.authenticator,
    authorizer: deps.authorizer,
  };
  const replyHooks = { sendError, fail };
  current = await buildRuntime(loaded, shared, app.log, replyHooks);

  app.decorateRequest('pg', null);
  app.decorateRequest('pgError', null);
  app.decorateRequest('pgRuntime', null);

  function sendError(request: FastifyRequest, reply: FastifyReply, err: GatewayError): void {
    request.pgError = err;
    if (reply.sent) return;
    reply
      .code(err.status)
      .headers({ ...err.headers, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-request-id': request.id })
      .send(JSON.stringify(errorBody(err, request.id)));
  }

  function fail(request: FastifyRequest, reply: FastifyReply, err: unknown): void {
    if (isGatewayError(err)) return sendError(request, reply, err);
    request.log.error({ err }, 'pipeline stage failed');
    sendError(request, reply, new GatewayError('PG_INTERNAL', { cause: err }));
  }

  // Bodies are read as upstream/request-body.ts says: small ones whole before an upstream connection is taken, large
  // ones streamed under a per-address cap; never parsed. Fastify calls this only for requests that carry a body.
  const uploads = new UploadSlots();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (request, payload, done) => {
    const runtime = request.pgRuntime ?? current!;
    const { limits, timeouts } = runtime.config.server;
    const ctx = request.pg;
    const route = ctx?.match?.route.config;
    readRequestBody(
      payload as IncomingMessage,
      {
        limit: route?.bodyLimit ?? limits.bodySize,
        buffer: route?.requestBuffering === false ? 0 : limits.bodyBuffer,
        clock: { idle: timeouts.bodyIdle, remaining: timeouts.request - (performance.now() - (ctx?.startedAt ?? performance.now())) },
        client: ctx?.client.ip ?? plainAddress(request.raw.socket.remoteAddress),
        slots: uploads,
        uploadsPerClient: limits.uploadsPerClient,
      },
      done,
    );
  });

  app.addHook('onRequest', (request, reply, done) => {
    const runtime = current!;
    const raw = request.raw;
    // A request on a kept-alive connection after shutdown began: retry elsewhere, and this connection ends with it.
    if (draining) return sendError(request, reply, new GatewayError('PG_SHUTTING_DOWN', { headers: { 'retry-after': '1', connection: 'close' } }));
    // Bounded concurrency: refuse at arrival, cheaply, rather than queue until the process falls over.
    if (inFlight >= runtime.config.server.limits.inFlight) return sendError(request, reply, new GatewayError('PG_OVERLOADED', { headers: { 'retry-after': '1' } }));
    inFlight++;
    runtime.inFlight++;
    request.pgRuntime = runtime;
    reply.raw.once('close', () => {
      inFlight--;
      if (--runtime.inFlight === 0 && runtime !== current) retire(runtime);
      // A streamed body nobody read to its end (a local reply, an upstream that answered early) would hold the
      // connection and its upload slot until the request deadline: the answer is out, so the rest is not wanted.
      const body = request.body;
      if (body instanceof StreamedBody) body.abandon();
    });
    // RFC 9112 §3.2: exactly one Host in HTTP/1.1 (two make the target authority ambiguous), at most one in 1.0.
    const hosts = hostHeaderCount(raw.rawHeaders);
    if (hosts !== 1 && (hosts > 1 || raw.httpVersionMinor === 1)) {
      return sendError(request, reply, new GatewayError('PG_BAD_REQUEST', { detail: hosts > 1 ? 'more than one Host header' : 'no Host header' }));
    }
    const client = resolveClientAddress(raw.socket.remoteAddress, raw.headers['x-forwarded-for'], runtime.trusted);
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
      breakerCall: undefined,
    };
    request.pg = ctx;
    reply.header('x-request-id', request.id);
    let pending: void | Promise<void>;
    try {
      pending = runStages(runtime.journey, ctx);
    } catch (err) {
      return fail(request, reply, err);
    }
    if (pending === undefined) return passed(reply, ctx, done);
    pending.then(() => passed(reply, ctx, done), (err: unknown) => fail(request, reply, err));
  });

  function passed(reply: FastifyReply, ctx: RequestContext, done: () => void): void {
    if (ctx.responseHeaders !== undefined) reply.headers(ctx.responseHeaders);
    // Every stage passed: now the client may send its body (server/http-server.ts holds `100 Continue` back until here).
    if (ctx.headers.expect !== undefined && !reply.raw.headersSent && /^100-continue$/i.test(ctx.headers.expect)) reply.raw.writeContinue();
    done();
  }

  app.route({
    method: [...HTTP_METHODS],
    url: '/*',
    handler(request, reply) {
      const ctx = request.pg;
      const runtime = request.pgRuntime;
      // Only a request that went through every stage has a match; anything else is refused, never forwarded.
      if (ctx?.match === undefined || ctx.target === undefined || runtime === null) return sendError(request, reply, new GatewayError('PG_ROUTE_NOT_FOUND'));
      try {
        runtime.forwarder.forward(request, reply, ctx);
      } catch (err) {
        fail(request, reply, err);
      }
    },
  });
  app.setNotFoundHandler((request, reply) => sendError(request, reply, new GatewayError('PG_ROUTE_NOT_FOUND')));
  app.setErrorHandler((err, request, reply) => {
    const ctx = request.pg;
    if (err instanceof BodyFailure) return sendError(request, reply, err.answer);
    if (isGatewayError(err)) return sendError(request, reply, err);
    const status = (err as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) return sendError(request, reply, new GatewayError('PG_BAD_REQUEST', { cause: err }));
    request.log.error({ err }, 'request failed');
    sendError(request, reply, new GatewayError('PG_INTERNAL', { cause: err }));
  });

  const refusalLog = new RefusalLog(app.log, now, (code) => metrics.refusalLinesSuppressed.inc({ code }));
  // Node closes a connection over server.limits.connections at once, with no reply possible: count it.
  app.server.on('drop', () => metrics.connectionsDropped.inc());
  app.addHook('onResponse', (request, reply, done) => {
    const ctx = request.pg;
    // A response that ended without an upstream outcome (client gone, local reply) settles its breaker call as neutral.
    ctx?.breakerCall?.settle(undefined);
    const route = ctx?.match?.route.pattern ?? '(none)';
    const err = request.pgError;
    const status = reply.statusCode;
    metrics.requests.inc({ route, method: ctx?.method ?? request.method, status, code: err?.code ?? '' });
    if (ctx) {
      const end = ctx.forwardedAt ?? performance.now();
      metrics.gatewayDuration.observe({ route }, (end - ctx.startedAt) / 1000);
    }
    const logs = (request.pgRuntime?.config ?? initial).server.logs;
    if (err) {
      // Every refusal is counted; its line (reason code, never the token or the raw target; a 5xx of the gateway's
      // own at warn) is sampled, and client-controlled fields are cut (issue 10 §1: a refused flood is no log flood).
      if (refusalLog.admit(err.code, err.status >= 500, logs.refusalsPerSecond)) {
        const n = logs.fieldLength;
        const fields = { code: err.code, status, route, method: boundedField(ctx?.method, n), path: boundedField(ctx?.target?.path, n), client: boundedField(ctx?.client.ip, n), subject: boundedField(ctx?.identity?.subject, n) };
        if (err.status < 500) request.log.info(fields, 'request refused');
        else request.log.warn(fields, 'request failed');
      }
    } else if (request.pgRuntime?.config.server.accessLog) {
      const n = logs.fieldLength;
      request.log.info({ route, method: ctx?.method, path: boundedField(ctx?.target?.path, n), status, client: ctx?.client.ip, subject: boundedField(ctx?.identity?.subject, n), ms: reply.elapsedTime }, 'request');
    }
    done();
  });
  metrics.inFlightSource = () => inFlight;

  // Configs replaced by a reload whose requests are still running: their pools stay open until they are done.
  const retiring = new Set<Runtime>();
  function retire(runtime: Runtime): void {
    runtime.close();
    retiring.delete(runtime);
    keepCarried();
  }
  /**
   * Disposes of the carried parts no config still needs: pools used by the current config or by one still
   * finishing requests; breakers and last-good caches of the current config (a request of an older one may settle on
   * a disposed breaker, which then counts nothing).
   */
  function keepCarried(): void {
    const pools = new Set(current!.poolKeys);
    for (const runtime of retiring) for (const key of runtime.poolKeys) pools.add(key);
    shared.carried.pools.keepOnly(pools);
    shared.carried.breakers.keepOnly(current!.forwarder.carriedKeys.breakers);
    shared.carried.lastGood.keepOnly(current!.forwarder.carriedKeys.lastGood);
  }

  let reloading: Promise<unknown> = Promise.resolve();
  async function reload({ next, actor = 'SIGHUP' }: { next?: LoadedConfig; actor?: string } = {}): Promise<ReloadResult> {
    const run = reloading.then(async () => {
      const previous = current!;
      const file = next?.config.file ?? previous.config.file;
      try {
        const candidate = next ?? (await loadConfig(previous.config.file));
        const issues = restartOnlyChanges(previous.config, candidate);
        if (issues.length > 0) throw new ConfigError(issues);
        const runtime = await buildRuntime(candidate, shared, app.log, replyHooks);
        rbac.reconfigure(candidate.config.rbac);
        current = runtime;
        applyServerLimits(app.server, candidate.config.server);
        retiring.add(previous);
        if (previous.inFlight === 0) retire(previous);
        else keepCarried();
        // Breakers the new config no longer has leave the metrics with it.
        const kept = runtime.breakerStates();
        for (const name of Object.keys(previous.breakerStates())) if (!(name in kept)) metrics.breakerState.remove({ breaker: name });
        metrics.reloads.inc({ outcome: 'applied' });
        const result = { file, routes: candidate.routes.routes.length };
        app.log.info(result, 'config reloaded');
        await audit.record({ at: now(), actor, action: 'config.reload', target: file, after: result }).catch(() => {});
        return result;
      } catch (err) {
        // Parts a failed build made for the candidate go; those of the configs still in use stay.
        keepCarried();
        metrics.reloads.inc({ outcome: 'rejected' });
        app.log.error({ reason: (err as Error).message }, 'config reload rejected; the config in force stays');
        const problems = err instanceof ConfigError ? err.issues.map(formatIssue) : [(err as Error).message];
        await audit.record({ at: now(), actor, action: 'config.reload.rejected', target: file, after: { problems } }).catch(() => {});
        throw err;
      }
    });
    reloading = run.catch(() => {});
    return run;
  }
  const admin = buildAdminApi({
    current: () => current!,
    draining: () => draining,
    metrics,
    store,
    logger,
    audit,
    rbac,
    revocations: () => revocations,
    sharedBreakers: (): Record<string, string> => {
      const breaker = shared.rateLimits.breaker;
      return breaker ? { 'store:rate-limits': breaker.state } : {};
    },
    reload: (actor) => reload({ actor }),
    now,
  });

  return {
    app,
    admin,
    metrics,
    store,
    get revocations() {
      return revocations;
    },
    rbac,
    audit,
    get config() {
      return current!.loaded;
    },
    reload,
    async listen() {
      const { server } = initial;
      const url = await app.listen({ host: server.listen.host, port: server.listen.port });
      const adminUrl = await admin.listen({ host: server.admin.host, port: server.admin.port });
      return { url, adminUrl };
    },
    async close() {
      draining = true;
      // In-flight requests finish, up to the drain deadline; then whatever is left is cut.
      const deadline = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), current!.config.server.drainTimeout).unref());
      const closed = app.close().then(() => 'done' as const);
      // A kept-alive connection whose last request finishes during the drain would otherwise stay open, idle, until
      // the deadline: close connections as they fall idle, so the drain ends when the last request does.
      const sweep = setInterval(() => app.server.closeIdleConnections(), 50);
      try {
        if ((await Promise.race([closed, deadline])) === 'late') {
          app.log.warn({ inFlight }, 'drain deadline passed; closing the remaining connections');
          app.server.closeAllConnections();
          await closed;
        }
      } finally {
        clearInterval(sweep);
      }
      await admin.close();
      current!.close();
      shared.carried.breakers.clear();
      // In-flight requests are done (or cut) once app.close() resolves.
      await Promise.all([...shared.carried.pools.values()].map((pool) => pool.destroy()));
      shared.carried.pools.clear();
      await revocations?.close();
      await rbac.close();
      await shared.rateLimits.breaker?.shutdown();
      await store.close();
    },
  };
}
