// Assembles authorization from the `rbac` section: the engine on the RBAC store the configured store makes. The
// denial reporter that counts every 403 and audits a bounded number of them is the authorize stage's
// (pipeline/denial-reporter.ts).
import type { RbacConfig } from '../config/rbac-types.js';
import type { LogPort } from '../observability/log-port.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Store } from '../stores/store.js';
import type { GrantUseSink } from './authorizer.js';
import { RbacAuthorizer } from './rbac-authorizer.js';

export async function buildRbac(
  config: RbacConfig,
  store: Store,
  metrics: GatewayMetrics,
  log: LogPort,
  now: () => number,
  grantUse?: GrantUseSink,
): Promise<RbacAuthorizer> {
  const rbacStore = store.rbacStore({ syncInterval: config.syncInterval, now });
  const authorizer = new RbacAuthorizer(config, rbacStore, {
    now,
    grantUse,
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
