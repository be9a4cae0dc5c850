// The admin listener: health, readiness, metrics and the admin API, on its own port so the data plane never
// serves them. Its errors have the same JSON shape and codes as the data plane's.
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import { SUBJECT_MAX_LENGTH } from '../auth/subject-name.js';
import { errorBody, GatewayError, isGatewayError } from '../errors.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Store } from '../stores/store.js';

export interface AdminDeps {
  readonly metrics: GatewayMetrics;
  readonly store: Store;
  readonly logger: FastifyServerOptions['logger'];
  /** What readiness reports beyond the store: revocations, RBAC, breakers, the config in force. */
  readonly readiness?: () => Record<string, unknown>;
  /** True once shutdown began: readiness turns 503 so load balancers stop sending. */
  readonly draining?: () => boolean;
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
  const admin = Fastify({
    logger: deps.logger ?? false,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: ADMIN_BODY_LIMIT,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: (err, request, reply) => {
      const error = fastifyRefusal(err) ?? new GatewayError('PG_INTERNAL', { cause: err });
      void (reply as FastifyReply).code(error.status).headers({ 'cache-control': 'no-store' }).send(errorBody(error, request.id));
    },
  });
  admin.get('/healthz', async () => ({ status: 'ok' }));
  admin.get('/readyz', async (_request, reply) => {
    // Ready while the config is loaded and requests are served, even without the shared store: each stage then
    // follows its outage rule (degraded), which is better than a fleet that takes itself out of rotation at once.
    // Only a draining instance is not ready.
    const store = deps.store.status();
    const draining = deps.draining?.() ?? false;
    reply.code(draining ? 503 : 200);
    return { status: draining ? 'draining' : store.ready ? 'ready' : 'degraded', store, ...deps.readiness?.() };
  });
  admin.get('/metrics', async (_request, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
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
