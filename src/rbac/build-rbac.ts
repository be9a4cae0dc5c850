// Assembles authorization from the `rbac` section: the engine on the configured store, and the denial reporter that
// counts every 403 and writes a bounded number of them to the audit trail.
import type { FastifyBaseLogger } from 'fastify';
import type { RbacConfig } from '../config/rbac-types.js';
import type { AuditTrail } from '../observability/audit-trail.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { AuthorizationOutcomes } from '../pipeline/authorize.js';
import { MemoryRbacStore } from '../stores/memory/memory-rbac-store.js';
import { RedisRbacStore } from '../stores/redis/redis-rbac-store.js';
import { RedisStore } from '../stores/redis/redis-store.js';
import { SqliteRbacStore } from '../stores/sqlite/sqlite-rbac-store.js';
import { SqliteStore } from '../stores/sqlite/sqlite-store.js';
import type { Store } from '../stores/store.js';
import { RbacAuthorizer } from './rbac-authorizer.js';

export async function buildRbac(config: RbacConfig, store: Store, metrics: GatewayMetrics, log: FastifyBaseLogger, now: () => number): Promise<RbacAuthorizer> {
  const rbacStore =
    store instanceof RedisStore
      ? new RedisRbacStore(store.client, { syncInterval: config.syncInterval, now, admin: store.adminClient })
      : store instanceof SqliteStore
        ? new SqliteRbacStore(store)
        : new MemoryRbacStore();
  const authorizer = new RbacAuthorizer(config, rbacStore, {
    now,
    onCache: (result) => metrics.rbacCache.inc({ result }),
    onBadPattern: (bad) => log.warn(bad, 'stored RBAC pattern not compiled as written (a grant grants nothing, a deny is widened)'),
    onResync: (reason) => {
      metrics.rbacResyncs.inc({ reason });
      if (reason !== 'start') log.info({ reason }, 'RBAC cache dropped: changes may have been missed');
    },
  });
  await authorizer.start();
  return authorizer;
}

/**
 * Every denial is counted; at most `rbac.auditDenials` per second per instance go to the audit trail (a flood of 403s
 * must not turn into a flood of store writes), as `denial` entries: their own ring, which never pushes out an admin
 * change. The audit write is not awaited: the 403 never waits for it.
 */
export function denialReporter(config: RbacConfig, audit: AuditTrail, metrics: GatewayMetrics, log: FastifyBaseLogger, now: () => number): AuthorizationOutcomes {
  let windowStart = 0;
  let written = 0;
  return {
    exposeMissingCode: config.exposeMissingCode,
    onDenied(ctx, decision) {
      const route = ctx.match!.route.pattern;
      metrics.authorizationDenials.inc({ route, reason: decision.reason });
      const at = now();
      if (at - windowStart >= 1000) {
        windowStart = at;
        written = 0;
      }
      if (written >= config.auditDenials) return void metrics.auditDropped.inc();
      written++;
      audit
        .record({
          kind: 'denial',
          at,
          actor: ctx.identity?.subject ?? '',
          action: 'request.denied',
          target: route,
          after: { method: ctx.method, path: ctx.target?.path, code: decision.code, reason: decision.reason, requestId: ctx.requestId },
        })
        .catch((err: Error) => {
          metrics.auditDropped.inc();
          log.warn({ reason: err.message }, 'denial not written to the audit trail');
        });
    },
  };
}
