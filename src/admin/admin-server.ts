// The admin listener: health, readiness, metrics and the admin API, on its own port so the data plane never
// serves them. Its errors have the same JSON shape and codes as the data plane's.
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import { SUBJECT_MAX_LENGTH } from '../auth/subject-name.js';
import { errorBody, GatewayError, isGatewayError } from '../errors.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Store } from '../stores/store.js';
import type { ListenerTlsConfig } from '../config/listen-types.js';
import { ListenerCertificates } from '../tls/listener-certificates.js';

/** What the probes answer: /readyz's status code and body (admin-api.ts builds it with readiness.ts). */
export interface ProbeDeps {
  readonly metrics: GatewayMetrics;
  readonly readyz: () => { readonly code: number; readonly body: Record<string, unknown> };
}

export interface AdminDeps extends Partial<Pick<ProbeDeps, 'readyz'>> {
  readonly metrics: GatewayMetrics;
  readonly store: Store;
  readonly logger: FastifyServerOptions['logger'];
  /** `server.admin.tls`: the listener speaks HTTPS (read once: a change needs a restart). */
  readonly tls?: ListenerTlsConfig | undefined;
}

/**
 * GET /healthz (the process is alive), /readyz and /metrics: the same answers on the admin listener and on the
 * status listener (status-server.ts).
 */
export function registerProbes(app: FastifyInstance, deps: ProbeDeps): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const { code, body } = deps.readyz();
    reply.code(code).header('cache-control', 'no-store');
    return body;
  });
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
}

/** Admin bodies are small JSON documents (a subject's record, a role). */
export const ADMIN_BODY_LIMIT = 64 * 1024;
/**
 * A path parameter may hold a whole subject, percent-encoded: up to 9 characters per UTF-16 unit (a 3-byte UTF-8
 * character as %XX%XX%XX). find-my-way's default of 100 silently made longer subjects 404.
 */
const MAX_PARAM_LENGTH = SUBJECT_MAX_LENGTH * 9;

/** Fastify's own refusals of a request (before any handler), as admin codes. */
function fastifyRefusal(err: { code?: string; statusCode?: number }): GatewayError | undefined {
  if (err.statusCode === undefined || err.statusCode >= 500) return undefined;
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new GatewayError('PG_ADMIN_BODY_TOO_LARGE', { detail: `an admin request body is at most ${ADMIN_BODY_LIMIT} bytes`, cause: err });
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new GatewayError('PG_ADMIN_BAD_INPUT', { detail: 'the body must be JSON (content-type: application/json)', cause: err });
  if (err.code === 'FST_ERR_BAD_URL') return new GatewayError('PG_ADMIN_BAD_INPUT', { detail: 'the path is not valid percent-encoded UTF-8', cause: err });
  return new GatewayError('PG_ADMIN_BAD_INPUT', { detail: 'the body is not valid JSON', cause: err });
}

export function buildAdminServer(deps: AdminDeps): FastifyInstance {
  const https = deps.tls === undefined ? {} : { https: new ListenerCertificates(deps.tls).serverOptions() };
  const admin = Fastify({
    ...(https as object),
    logger: deps.logger ?? false,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: ADMIN_BODY_LIMIT,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: (err, request, reply) => {
      const error = fastifyRefusal(err) ?? new GatewayError('PG_INTERNAL', { cause: err });
      void (reply as FastifyReply).code(error.status).headers({ 'cache-control': 'no-store' }).send(errorBody(error, request.id));
    },
  });
  // Without a readiness rule (a bare admin server), ready while the store is, degraded otherwise.
  const bare = (): { code: number; body: Record<string, unknown> } => {
    const store = deps.store.status();
    return { code: 200, body: { status: store.ready ? 'ready' : 'degraded', store } };
  };
  registerProbes(admin, { metrics: deps.metrics, readyz: deps.readyz ?? bare });
  admin.setErrorHandler((err, request, reply) => {
    let error: GatewayError;
    const refusal = isGatewayError(err) ? undefined : fastifyRefusal(err as { code?: string; statusCode?: number });
    if (isGatewayError(err)) error = err;
    else if (refusal !== undefined) error = refusal;
    else {
      request.log.error({ err }, 'admin request failed');
      error = new GatewayError('PG_INTERNAL', { cause: err });
    }
    void reply.code(error.status).headers({ ...error.headers, 'cache-control': 'no-store' }).send(errorBody(error, request.id));
  });
  admin.setNotFoundHandler((request, reply) => {
    const error = new GatewayError('PG_ROUTE_NOT_FOUND');
    void reply.code(404).send(errorBody(error, request.id));
  });
  return admin;
}
