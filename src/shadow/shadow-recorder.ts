// What happens when a stage in shadow mode would have refused (issue 14): the request goes on, and the refusal is
// counted (permgate_shadow_refusals_total), logged (sampled as refusal lines are), written to the audit trail (at
// most shadow.auditPerSecond a second, in the denial ring, so it can never push out an admin change) and kept in the
// shadow report. Each request is recorded once, at the first stage that would have refused it: under enforcement it
// would have ended there, so later stages would not have decided (authorize after a shadowed authenticate has
// nobody to authorize).
import type { LogsConfig } from '../config/types.js';
import type { ShadowConfig } from '../config/shadow-types.js';
import type { AuditTrail } from '../observability/audit-trail.js';
import type { LogPort } from '../observability/log-port.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { boundedField, type RefusalLog } from '../observability/refusal-log.js';
import type { AuthorizationOutcomes } from '../pipeline/authorize.js';
import type { Refusal, RequestContext } from '../pipeline/request-context.js';
import type { ShadowReport } from './shadow-report.js';

export interface ShadowRecorderDeps {
  readonly config: ShadowConfig;
  readonly logs: LogsConfig;
  /** Shared by every config, so a reload keeps what was recorded. */
  readonly report: ShadowReport;
  readonly refusals: RefusalLog;
  readonly audit: AuditTrail;
  readonly metrics: GatewayMetrics;
  readonly log: LogPort;
  readonly now: () => number;
}

export interface ShadowRecorder {
  /** The journey's onShadowRefusal. */
  onRefusal(ctx: RequestContext, refusal: Refusal): void;
  /**
   * The authorize stage's outcomes: a denial on a route that shadows authorize is not a denial (not counted, not
   * audited as one); its missing code is kept for the shadow record instead.
   */
  authorization(enforced: AuthorizationOutcomes): AuthorizationOutcomes;
}

export function shadowRecorder(deps: ShadowRecorderDeps): ShadowRecorder {
  const { config, logs, report, metrics, now } = deps;
  // Filled by the authorize stage just before its refusal reaches the runner; gone with the request.
  const missing = new WeakMap<RequestContext, string>();
  let windowStart = -Infinity;
  let written = 0;
  const n = logs.fieldLength;
  return {
    authorization(enforced) {
      return {
        exposeMissingCode: enforced.exposeMissingCode,
        onDenied(ctx, decision) {
          if (ctx.match!.route.config.shadow.has('authorize')) missing.set(ctx, decision.code);
          else enforced.onDenied(ctx, decision);
        },
      };
    },
    onRefusal(ctx, refusal) {
      if (ctx.shadowRefusals?.[0] !== refusal) return;
      const { stage, error } = refusal;
      const route = ctx.match?.route.pattern ?? '(none)';
      const subject = ctx.identity?.subject;
      const permission = stage === 'authorize' ? missing.get(ctx) : undefined;
      const at = now();
      metrics.shadowRefusals.inc({ route, stage, code: error.code });
      report.record(at, { route, stage, code: error.code, permission, subject });
      if (deps.refusals.admit(`shadow:${error.code}`, false, logs.refusalsPerSecond)) {
        ctx.log.info(
          { stage, code: error.code, permission, route, method: boundedField(ctx.method, n), path: boundedField(ctx.target?.path, n), subject: boundedField(subject, n) },
          'a stage in shadow mode would have refused; the request went on',
        );
      }
      if (at - windowStart >= 1000) {
        windowStart = at;
        written = 0;
      }
      if (written >= config.auditPerSecond) return;
      written++;
      deps.audit
        .record({
          kind: 'denial',
          at,
          actor: subject ?? '',
          action: 'request.shadow-refused',
          target: route,
          after: { method: ctx.method, path: ctx.target?.path, stage, code: error.code, permission, requestId: ctx.requestId },
        })
        .catch((err: Error) => {
          metrics.auditDropped.inc();
          deps.log.warn({ reason: err.message }, 'shadow refusal not written to the audit trail');
        });
    },
  };
}
