// The status listener (`server.status`, issue 12): GET /healthz, /readyz and /metrics with no token, the same answers
// as the admin listener's, and nothing else (404 in the coded shape). Kubelet probes and Prometheus reach it on a
// pod address while the admin API stays on 127.0.0.1; it can only read, never change anything (Kong's
// `status_listen` is the precedent).
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import { errorBody, GatewayError } from '../errors.js';
import { registerProbes, type ProbeDeps } from './admin-server.js';

export function buildStatusServer(deps: ProbeDeps & { readonly logger: FastifyServerOptions['logger'] }): FastifyInstance {
  const status = Fastify({
    logger: deps.logger ?? false,
    logController: new LogController({ disableRequestLogging: true }),
    frameworkErrors: (err, request, reply) => {
      const error = new GatewayError('PG_BAD_REQUEST', { cause: err });
      void (reply as FastifyReply).code(error.status).headers({ 'cache-control': 'no-store' }).send(errorBody(error, request.id));
    },
  });
  registerProbes(status, deps);
  status.setNotFoundHandler((request, reply) => {
    const error = new GatewayError('PG_ROUTE_NOT_FOUND');
    void reply.code(error.status).headers({ 'cache-control': 'no-store' }).send(errorBody(error, request.id));
  });
  status.setErrorHandler((err, request, reply) => {
    request.log.error({ err }, 'status request failed');
    const error = new GatewayError('PG_INTERNAL', { cause: err });
    void reply.code(error.status).headers({ 'cache-control': 'no-store' }).send(errorBody(error, request.id));
  });
  return status;
}
