// Admin API for the least-privilege report: GET /admin/rbac/unused?days=30, the grants each role and each subject
// has not used in that many days (privilege/unused-grants.ts). Subjects come in pages (`count`, and the `cursor`
// each page gives as `next`; "0" starts and ends): the config's subjects on the first page, the store's after.
import type { FastifyInstance } from 'fastify';
import type { RbacConfig } from '../config/rbac-types.js';
import { GatewayError } from '../errors.js';
import type { GrantUsageStore } from '../privilege/grant-usage-store.js';
import { USAGE_RETENTION_DAYS } from '../privilege/grant-usage-store.js';
import { unusedGrants, type HeldBy } from '../privilege/unused-grants.js';
import type { SubjectRecord } from '../rbac/model.js';
import type { RbacAuthorizer } from '../rbac/rbac-authorizer.js';
import type { AdminAuth } from './admin-auth.js';

export interface UnusedGrantsRouteDeps {
  readonly authorize: AdminAuth;
  readonly authorizer: RbacAuthorizer;
  readonly config: () => RbacConfig;
  readonly usage: GrantUsageStore;
  readonly now: () => number;
}

const PARAMETERS = ['days', 'cursor', 'count'];

function badInput(detail: string): GatewayError {
  return new GatewayError('PG_ADMIN_BAD_INPUT', { detail });
}

function integer(value: string | undefined, name: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = /^\d{1,6}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= max)) throw badInput(`"${name}" must be a whole number from 1 to ${max}`);
  return n;
}

export function registerUnusedGrantsRoute(admin: FastifyInstance, deps: UnusedGrantsRouteDeps): void {
  admin.get('/admin/rbac/unused', async (request) => {
    await deps.authorize(request, 'permgate:admin:rbac:read');
    const given: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.query as Record<string, unknown>)) {
      if (!PARAMETERS.includes(name)) throw badInput(`unknown parameter "${name}"; known: ${PARAMETERS.join(', ')}`);
      if (typeof value !== 'string' || value.length > 1024) throw badInput(`"${name}" may be given once, up to 1024 characters`);
      given[name] = value;
    }
    const days = integer(given.days, 'days', 30, USAGE_RETENTION_DAYS);
    const count = integer(given.count, 'count', 100, 1000);
    const cursor = given.cursor ?? '0';
    const first = cursor === '0';
    const config = deps.config();
    const store = deps.authorizer.store;
    const page = await store.listSubjects(cursor, count);
    const subjects: HeldBy[] = [];
    const load = async (subject: string): Promise<SubjectRecord | undefined> => (await store.loadSubject(subject)).value;
    if (first) {
      for (const [subject, record] of config.policy.subjects) {
        const dynamic = await load(subject);
        subjects.push({ subject, records: dynamic === undefined ? [record] : [record, dynamic] });
      }
    }
    for (const subject of page.subjects) {
      if (config.policy.subjects.has(subject)) continue; // reported with the config's subjects, on the first page
      const dynamic = await load(subject);
      if (dynamic !== undefined) subjects.push({ subject, records: [dynamic] });
    }
    const report = await unusedGrants(deps.usage, { days, now: deps.now(), graph: deps.authorizer.graph, subjects, rolesToo: first });
    return { ...report, next: page.cursor };
  });
}
