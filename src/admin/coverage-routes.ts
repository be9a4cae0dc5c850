// Admin API for route coverage (issue 14): GET /admin/coverage?since=… — routes and methods no request reached since
// that moment, every route's hits, and the 404s grouped into path templates (src/coverage/).
import type { FastifyInstance } from 'fastify';
import type { RouteCoverage } from '../coverage/route-coverage.js';
import { GatewayError } from '../errors.js';
import type { RouteTable } from '../routing/route-table.js';
import type { AdminAuth } from './admin-auth.js';

export interface CoverageRouteDeps {
  readonly coverage: RouteCoverage;
  readonly authorize: AdminAuth;
  /** The route map in force. */
  readonly routes: () => RouteTable;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/** `since`: milliseconds since the epoch or an ISO 8601 date(-time); absent, since recording began. */
export function coverageSince(query: Record<string, unknown>, startedAt: number): number {
  for (const name of Object.keys(query)) {
    if (name !== 'since') throw new GatewayError('PG_ADMIN_BAD_INPUT', { detail: `unknown parameter "${name}"; known: since` });
  }
  const value = query.since;
  if (value === undefined) return startedAt;
  const at = typeof value !== 'string' ? NaN : /^\d{1,15}$/.test(value) ? Number(value) : ISO_TIME.test(value) ? Date.parse(value) : NaN;
  if (!Number.isFinite(at)) throw new GatewayError('PG_ADMIN_BAD_INPUT', { detail: '"since" must be milliseconds since the epoch or an ISO 8601 date-time (2026-12-01T02:00:00Z)' });
  return at;
}

export function registerCoverageRoutes(admin: FastifyInstance, deps: CoverageRouteDeps): void {
  admin.get('/admin/coverage', async (request) => {
    await deps.authorize(request, 'permgate:admin:coverage:read');
    return deps.coverage.report(deps.routes(), coverageSince(request.query as Record<string, unknown>, deps.coverage.startedAt));
  });
}
