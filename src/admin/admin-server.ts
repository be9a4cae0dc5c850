// The admin listener: health, readiness and metrics, on its own port so the data plane never serves them.
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Store } from '../stores/store.js';

export interface AdminDeps {
  readonly metrics: GatewayMetrics;
  readonly store: Store;
  readonly logger: FastifyServerOptions['logger'];
}

export function buildAdminServer(deps: AdminDeps): FastifyInstance {
  const admin = Fastify({ logger: deps.logger ?? false, logController: new LogController({ disableRequestLogging: true }) });
  admin.get('/healthz', async () => ({ status: 'ok' }));
  admin.get('/readyz', async (_request, reply) => {
    const store = deps.store.status();
    // Issue #6 defines serving degraded without the shared store; until then readiness follows the store.
    reply.code(store.ready ? 200 : 503);
    return { status: store.ready ? 'ready' : 'not ready', store };
  });
  admin.get('/metrics', async (_request, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
  return admin;
}
