// Admin API for the audit trail: GET /admin/audit, newest first, filtered by kind, actor, action, target and time,
// paged with the opaque cursor each page gives as `next`. Every parameter is checked here, so a bad one is a 400
// (PG_ADMIN_BAD_INPUT) and never reaches a store.
import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../errors.js';
import { AUDIT_KINDS, type AuditKind, type AuditQuery, type AuditTrail } from '../observability/audit-trail.js';
import type { AdminAuth } from './admin-auth.js';

export interface AuditRouteDeps {
  readonly audit: AuditTrail;
  readonly authorize: AdminAuth;
}

const PARAMETERS = ['kind', 'actor', 'action', 'target', 'from', 'to', 'cursor', 'limit'];
/** ISO 8601 as `Date.prototype.toISOString` writes it, seconds and fraction optional, `Z` or an offset. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

function badInput(detail: string): GatewayError {
  return new GatewayError('PG_ADMIN_BAD_INPUT', { detail });
}

/** A moment: milliseconds since the epoch, or an ISO 8601 date-time. */
export function moment(value: string, name: string): number {
  const at = /^\d{1,15}$/.test(value) ? Number(value) : ISO_TIME.test(value) ? Date.parse(value) : NaN;
  if (!Number.isFinite(at)) throw badInput(`"${name}" must be milliseconds since the epoch or an ISO 8601 date-time (2026-12-01T02:00:00Z)`);
  return at;
}

/** The query string as an AuditQuery; throws PG_ADMIN_BAD_INPUT naming the first problem. */
export function auditQueryOf(raw: Record<string, unknown>): AuditQuery {
  const given: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!PARAMETERS.includes(name)) throw badInput(`unknown parameter "${name}"; known: ${PARAMETERS.join(', ')}`);
    if (typeof value !== 'string') throw badInput(`"${name}" may be given once`);
    if (value === '' || value.length > 1024) throw badInput(`"${name}" must be 1 to 1024 characters`);
    given[name] = value;
  }
  const limit = given.limit === undefined ? 100 : /^\d{1,4}$/.test(given.limit) ? Number(given.limit) : NaN;
  if (!(limit >= 1 && limit <= 1000)) throw badInput('"limit" must be 1 to 1000');
  if (given.kind !== undefined && !AUDIT_KINDS.includes(given.kind as AuditKind)) throw badInput(`"kind" must be one of ${AUDIT_KINDS.join(', ')}`);
  const from = given.from === undefined ? undefined : moment(given.from, 'from');
  const to = given.to === undefined ? undefined : moment(given.to, 'to');
  if (from !== undefined && to !== undefined && from > to) throw badInput('"from" is after "to"');
  return {
    limit,
    ...(given.kind === undefined ? {} : { kind: given.kind as AuditKind }),
    ...(given.actor === undefined ? {} : { actor: given.actor }),
    ...(given.action === undefined ? {} : { action: given.action }),
    ...(given.target === undefined ? {} : { target: given.target }),
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
    ...(given.cursor === undefined ? {} : { cursor: given.cursor }),
  };
}

export function registerAuditRoutes(admin: FastifyInstance, deps: AuditRouteDeps): void {
  admin.get('/admin/audit', async (request) => {
    await deps.authorize(request, 'permgate:admin:audit:read');
    // The store checks the cursor itself (only it knows its shape) and throws PG_ADMIN_BAD_INPUT for a foreign one.
    return deps.audit.query(auditQueryOf(request.query as Record<string, unknown>));
  });
}
