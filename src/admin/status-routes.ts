// Admin API for the console's overview (issue 15): GET /admin/status — version, start, the config in force, readiness
// (the /readyz rule and body), breakers, certificate expiry — and GET /admin/traffic — the request and refusal counters
// since start, read from the metrics registry (so a fleet primary answers for all its workers). The console turns two
// successive /admin/traffic answers into rates; nothing here keeps state.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { AdminAuth } from './admin-auth.js';
import type { ProbeDeps } from './admin-server.js';
import { packageRoot } from './console/console-assets.js';

export interface StatusRouteDeps {
  readonly authorize: AdminAuth;
  readonly readyz: ProbeDeps['readyz'];
  readonly metrics: GatewayMetrics;
  readonly startedAt: number;
  readonly now: () => number;
  /** Console sessions open on this instance. */
  readonly sessions: () => number;
}

/** One series of permgate_requests_total, summed over methods. */
export interface TrafficRow {
  readonly route: string;
  readonly status: number;
  /** The gateway's own error code when it answered itself (a refusal); '' when the upstream answered. */
  readonly code: string;
  readonly count: number;
}

const VERSION = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;

/** The request counters by route, status and code (methods summed), from whichever registry a scrape serves. */
export async function trafficRows(metrics: GatewayMetrics): Promise<TrafficRow[]> {
  const all = await metrics.registry.getMetricsAsJSON();
  const requests = all.find((metric) => metric.name === 'permgate_requests_total');
  const sums = new Map<string, { route: string; status: number; code: string; count: number }>();
  for (const value of (requests?.values ?? []) as { value: number; labels: Record<string, string | number> }[]) {
    const route = String(value.labels.route ?? '');
    const status = Number(value.labels.status ?? 0);
    const code = String(value.labels.code ?? '');
    const key = `${route}\u0000${status}\u0000${code}`;
    const row = sums.get(key) ?? { route, status, code, count: 0 };
    row.count += value.value;
    sums.set(key, row);
  }
  return [...sums.values()];
}

export function registerStatusRoutes(admin: FastifyInstance, deps: StatusRouteDeps): void {
  admin.get('/admin/status', async (request, reply) => {
    await deps.authorize(request, 'permgate:admin:status:read');
    const { code, body } = deps.readyz();
    const now = deps.now();
    reply.header('cache-control', 'no-store');
    return {
      version: VERSION,
      node: process.version,
      startedAt: new Date(deps.startedAt).toISOString(),
      uptimeSeconds: Math.floor((now - deps.startedAt) / 1000),
      ready: { code, ...body },
      certificates: deps.metrics.certificatesSource().map((cert) => ({
        listener: cert.listener,
        certFile: cert.certFile,
        validTo: new Date(cert.validTo).toISOString(),
        expiresInDays: Math.floor((cert.validTo - now) / 86_400_000),
      })),
      consoleSessions: deps.sessions(),
    };
  });

  admin.get('/admin/traffic', async (request, reply) => {
    await deps.authorize(request, 'permgate:admin:status:read');
    reply.header('cache-control', 'no-store');
    const rows = await trafficRows(deps.metrics);
    let requests = 0;
    const refusals = new Map<string, { code: string; status: number; count: number }>();
    for (const row of rows) {
      requests += row.count;
      if (row.code === '') continue;
      const key = `${row.code}\u0000${row.status}`;
      const entry = refusals.get(key) ?? { code: row.code, status: row.status, count: 0 };
      entry.count += row.count;
      refusals.set(key, entry);
    }
    return { at: new Date(deps.now()).toISOString(), requests, refusals: [...refusals.values()].sort((a, b) => b.count - a.count) };
  });
}
