// Admin API for shadow mode (issue 14): GET /admin/shadow/refusals, what the stages in shadow mode would have refused
// since a moment, summed by route, stage, error code, missing permission and subject, the largest counts first; and
// which routes shadow what in the config in force. Every parameter is checked here (400 PG_ADMIN_BAD_INPUT).
import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../errors.js';
import type { ShadowReport, ShadowReportQuery } from '../shadow/shadow-report.js';
import type { AdminAuth } from './admin-auth.js';
import { moment } from './audit-routes.js';

export interface ShadowRouteDeps {
  readonly report: ShadowReport;
  readonly authorize: AdminAuth;
  /** The routes of the config in force that shadow a stage, and which. */
  readonly shadowed: () => readonly { readonly route: string; readonly stages: readonly string[] }[];
}

const PARAMETERS = ['since', 'route', 'stage', 'code', 'permission', 'subject', 'limit'];

function badInput(detail: string): GatewayError {
  return new GatewayError('PG_ADMIN_BAD_INPUT', { detail });
}

/** The query string as a report query; throws PG_ADMIN_BAD_INPUT naming the first problem. */
export function shadowQueryOf(raw: Record<string, unknown>): ShadowReportQuery {
  const given: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!PARAMETERS.includes(name)) throw badInput(`unknown parameter "${name}"; known: ${PARAMETERS.join(', ')}`);
    if (typeof value !== 'string') throw badInput(`"${name}" may be given once`);
    if (value === '' || value.length > 1024) throw badInput(`"${name}" must be 1 to 1024 characters`);
    given[name] = value;
  }
  const limit = given.limit === undefined ? 1000 : /^\d{1,5}$/.test(given.limit) ? Number(given.limit) : NaN;
  if (!(limit >= 1 && limit <= 10_000)) throw badInput('"limit" must be 1 to 10000');
  return {
    limit,
    ...(given.since === undefined ? {} : { since: moment(given.since, 'since') }),
    ...(given.route === undefined ? {} : { route: given.route }),
    ...(given.stage === undefined ? {} : { stage: given.stage }),
    ...(given.code === undefined ? {} : { code: given.code }),
    ...(given.permission === undefined ? {} : { permission: given.permission }),
    ...(given.subject === undefined ? {} : { subject: given.subject }),
  };
}

const iso = (at: number): string => new Date(at).toISOString();

export function registerShadowRoutes(admin: FastifyInstance, deps: ShadowRouteDeps): void {
  admin.get('/admin/shadow/refusals', async (request) => {
    await deps.authorize(request, 'permgate:admin:shadow:read');
    const query = shadowQueryOf(request.query as Record<string, unknown>);
    const answer = deps.report.query(query);
    return {
      since: query.since === undefined ? null : iso(query.since),
      // Counts are exact only from this moment on: older cells were dropped to stay within shadow.reportEntries.
      complete: answer.completeSince === undefined || (query.since !== undefined && query.since >= answer.completeSince),
      completeSince: answer.completeSince === undefined ? null : iso(answer.completeSince),
      total: answer.total,
      truncated: answer.truncated,
      shadowed: deps.shadowed(),
      refusals: answer.entries.map((entry) => ({
        route: entry.route,
        stage: entry.stage,
        code: entry.code,
        permission: entry.permission ?? null,
        subject: entry.subject ?? null,
        count: entry.count,
        first: iso(entry.first),
        last: iso(entry.last),
      })),
    };
  });
}
