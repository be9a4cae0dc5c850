// The authorize stage's outcomes: every 403 counted, a bounded number of them written to the audit trail.
import type { RbacConfig } from '../config/rbac-types.js';
import type { AuditTrail } from '../observability/audit-trail.js';
import type { LogPort } from '../observability/log-port.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { DenialSpikeWatch } from '../privilege/denial-spike-watch.js';
import type { AuthorizationOutcomes } from './authorize.js';

/**
 * Every denial is counted; at most `rbac.auditDenials` per second per instance go to the audit trail (a flood of 403s
 * must not turn into a flood of store writes), as `denial` entries: their own ring, which never pushes out an admin
 * change. The audit write is not awaited: the 403 never waits for it.
 */
export function denialReporter(
  config: RbacConfig,
  audit: AuditTrail,
  metrics: GatewayMetrics,
  log: LogPort,
  now: () => number,
  spikes?: DenialSpikeWatch,
): AuthorizationOutcomes {
  let windowStart = 0;
  let written = 0;
  return {
    exposeMissingCode: config.exposeMissingCode,
    onDenied(ctx, decision) {
      const route = ctx.match!.route.pattern;
      metrics.authorizationDenials.inc({ route, reason: decision.reason });
      const at = now();
      // Spikes are counted per subject before sampling: a subject is flagged however many denials the audit skips.
      const subject = ctx.identity?.subject;
      if (spikes !== undefined && subject !== undefined) spikes.denied(subject, route, at, config.denialSpikes);
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
