// The admin listener: health, readiness, metrics and the admin API, on its own port so the data plane never
// serves them. Its errors have the same JSON shape and codes as the data plane's.
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
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

export function buildAdminServer(deps: AdminDeps): FastifyInstance {
  const admin = Fastify({ logger: deps.logger ?? false, logController: new LogController({ disableRequestLogging: true }), bodyLimit: 64 * 1024 });
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
    if (isGatewayError(err)) error = err;
    else if ((err as { statusCode?: number }).statusCode !== undefined && (err as { statusCode: number }).statusCode < 500) {
      error = new GatewayError('PG_ADMIN_BAD_INPUT', { detail: 'the body is not valid JSON', cause: err });
    } else {
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
