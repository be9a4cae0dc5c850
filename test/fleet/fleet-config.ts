// The config the fleet tests start: a data plane on ${PORT}, an admin API with a token on ${ADMIN_PORT}, one upstream,
// shared state in a private Redis, and whatever routes and settings a test adds.
export const ADMIN_TOKEN = 'a-fleet-admin-token-of-at-least-32-bytes';

export function fleetConfig(options: { redis: string; upstream: string; workers?: number; listen?: string; drainDelay?: string; server?: string; store?: string; routes?: string; extra?: string }): string {
  return `server:
  workers: ${options.workers ?? 2}
  listen: ${options.listen ?? '{ host: 127.0.0.1, port: ${PORT} }'}
  admin: { host: 127.0.0.1, port: \${ADMIN_PORT}, token: "${ADMIN_TOKEN}" }
  drainDelay: ${options.drainDelay ?? '0s'}
${options.server ?? ''}store:
  redis: ${options.redis}
${options.store ?? ''}upstreams:
  svc: { url: "${options.upstream}" }
routes:
  - { path: /public/**, upstream: svc, auth: none }
${options.routes ?? ''}${options.extra ?? ''}`;
}

export const admin = (token = ADMIN_TOKEN): Record<string, string> => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
