// Assembles authorization from the `rbac` section: the engine on the RBAC store the configured store makes. The
// denial reporter that counts every 403 and audits a bounded number of them is the authorize stage's
// (pipeline/denial-reporter.ts).
import type { Locate } from '../config/checker.js';
import type { RbacConfig } from '../config/rbac-types.js';
import type { LogPort } from '../observability/log-port.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Store } from '../stores/store.js';
import type { GrantUseSink } from './authorizer.js';
import { RbacAuthorizer } from './rbac-authorizer.js';
import { buildSqlSource } from './sql/build-sql-source.js';
import { LayeredRbacStore } from './sql/layered-rbac-store.js';

export async function buildRbac(
  config: RbacConfig,
  store: Store,
  metrics: GatewayMetrics,
  log: LogPort,
  now: () => number,
  grantUse?: GrantUseSink,
  locate?: Locate,
): Promise<RbacAuthorizer> {
  const stored = store.rbacStore({ syncInterval: config.syncInterval, now });
  // With a SQL source, the engine reads both (sql/layered-rbac-store.ts); admin writes still go to the store.
  const sql = config.source?.sql;
  const rbacStore = sql === undefined ? stored : new LayeredRbacStore(stored, await buildSqlSource(sql, { cacheSize: config.cacheSize, locate, metrics, log, now }));
  // Series found once: this count is taken on every decision.
  const cacheHit = metrics.rbacCache.child({ result: 'hit' });
  const cacheMiss = metrics.rbacCache.child({ result: 'miss' });
  const authorizer = new RbacAuthorizer(config, rbacStore, {
    now,
    grantUse,
    onCache: (result) => (result === 'hit' ? cacheHit : cacheMiss).inc(),
    onBadPattern: (bad) => log.warn(bad, 'stored RBAC pattern not compiled as written (a grant grants nothing, a deny is widened)'),
    onResync: (reason) => {
      metrics.rbacResyncs.inc({ reason });
      if (reason !== 'start') log.info({ reason }, 'RBAC cache dropped: changes may have been missed');
    },
  });
  await authorizer.start();
  return authorizer;
}
