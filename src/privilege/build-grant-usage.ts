// Assembles grant-use recording from `rbac.usage` and `rbac.cache.size`: the recorder on the store's grant-usage
// part, its outcomes counted and its failures logged.
import type { RbacConfig } from '../config/rbac-types.js';
import type { LogPort } from '../observability/log-port.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { GrantUsageRecorder } from './grant-usage-recorder.js';
import type { GrantUsageStore } from './grant-usage-store.js';

/** Queued (subject, grant) uses per instance before a flush is forced. */
const MAX_PENDING = 100_000;

export function grantUsageRecorder(store: GrantUsageStore, config: RbacConfig, metrics: GatewayMetrics, log: LogPort): GrantUsageRecorder {
  return new GrantUsageRecorder(store, {
    flushInterval: config.usage.flushInterval,
    // As many subjects as the RBAC cache keeps compiled: the ones being served are the ones worth remembering.
    maxSubjects: config.cacheSize,
    maxPending: MAX_PENDING,
    onRecords: (outcome, count) => metrics.grantUsageRecords.inc({ outcome }, count),
    onFlushError: (err) => log.warn({ reason: err.message }, 'grant use not written to the store; lost for today on this instance'),
  });
}
