// Admin API for the console's route page (issue 15): GET /admin/routes — the route table in force (the same rows
// `permgate check` prints: pattern, methods, code per method, upstream, limits, flags), each route's lint findings
// beside it (src/lint/, the config's own rules), and its hits and refusals since start from the request counters.
import type { FastifyInstance } from 'fastify';
import type { LoadedConfig } from '../config/load.js';
import type { Finding } from '../lint/finding.js';
import { lintConfig } from '../lint/lint.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { CompiledRoute } from '../routing/route-table.js';
import type { AdminAuth } from './admin-auth.js';
import { trafficRows } from './status-routes.js';

export interface RouteTableRouteDeps {
  readonly authorize: AdminAuth;
  /** The config in force and its compiled routes. */
  readonly loaded: () => LoadedConfig;
  readonly metrics: GatewayMetrics;
}

function limitsOf(route: CompiledRoute): string {
  const own = route.config.rateLimit;
  if (own === undefined) return 'defaults';
  if (own.kind === 'off') return 'off';
  return [...own.budgets].map(([dim, rate]) => (rate === 'off' ? `${dim}=off` : `${dim}=${rate.limit}/${rate.windowMs / 1000}s`)).join(', ') + ' + defaults';
}

function flagsOf(route: CompiledRoute): string[] {
  const c = route.config;
  return [
    c.auth === 'none' ? 'public' : '',
    c.sensitive ? 'sensitive' : '',
    c.shadow.size > 0 ? `shadow:${[...c.shadow].join('+')}` : '',
    c.tenantParam !== undefined ? `tenant=:${c.tenantParam}` : '',
    c.bodyLimit !== undefined ? `body≤${c.bodyLimit}` : '',
    c.breaker !== undefined ? 'breaker' : '',
    c.websocket !== undefined ? 'websocket' : '',
  ].filter(Boolean);
}

/** Which route a finding is about: its key path names `routes[i]`. */
function routeIndexOf(finding: Finding): number | undefined {
  if (finding.place.kind !== 'config') return undefined;
  const match = /^routes\[(\d+)\]/.exec(finding.place.keyPath);
  return match ? Number(match[1]) : undefined;
}

const findingView = (f: Finding) => ({
  severity: f.severity,
  rule: f.rule,
  message: f.message,
  ...(f.place.kind === 'config' ? { line: f.place.line, keyPath: f.place.keyPath } : { record: f.place.record }),
});

export function registerRouteTableRoute(admin: FastifyInstance, deps: RouteTableRouteDeps): void {
  admin.get('/admin/routes', async (request, reply) => {
    await deps.authorize(request, 'permgate:admin:routes:read');
    reply.header('cache-control', 'no-store');
    const loaded = deps.loaded();
    const findings = lintConfig(loaded);
    const traffic = new Map<string, { hits: number; refusals: number }>();
    for (const row of await trafficRows(deps.metrics)) {
      const t = traffic.get(row.route) ?? { hits: 0, refusals: 0 };
      t.hits += row.count;
      if (row.code !== '') t.refusals += row.count;
      traffic.set(row.route, t);
    }
    const routes = loaded.routes.routes.map((route) => ({
      index: route.index,
      pattern: route.pattern,
      methods: [...route.methods],
      public: route.config.auth === 'none',
      permissions: route.config.auth === 'none' ? {} : Object.fromEntries([...route.permissions].map(([method, requirement]) => [method, requirement.source])),
      upstream: { name: route.upstream.name, origin: route.upstream.url.origin },
      limits: limitsOf(route),
      flags: flagsOf(route),
      line: route.config.location.line,
      findings: findings.filter((f) => routeIndexOf(f) === route.index).map(findingView),
      ...(traffic.get(route.pattern) ?? { hits: 0, refusals: 0 }),
    }));
    return {
      file: loaded.config.file,
      routes,
      findings: findings.filter((f) => routeIndexOf(f) === undefined).map(findingView),
      // Requests no route matched (404s, bad paths) are counted under the route label `(none)` (pipeline/record.ts).
      unmatched: traffic.get('(none)') ?? { hits: 0, refusals: 0 },
    };
  });
}
