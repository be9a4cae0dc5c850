// Stage: once the exchange is over, it is recorded — counted (route, method, status, code), timed up to the moment
// it was handed to the upstream, and logged: every refusal with its code and the stage that decided it (sampled, and
// client-controlled fields cut, so a refused flood is no log flood), an answer a fallback gave instead of the
// upstream, and with `server.accessLog` every other request.
import type { LogsConfig } from '../config/types.js';
import type { RouteHitRecorder } from '../coverage/route-coverage.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { boundedField, type RefusalLog } from '../observability/refusal-log.js';
import type { Stage } from './stage.js';

export interface RecordDeps {
  readonly metrics: GatewayMetrics;
  /** Shared by every config: the sampling budget is per second, whatever reloads happen. */
  readonly refusals: RefusalLog;
  readonly logs: LogsConfig;
  readonly accessLog: boolean;
  /** Route coverage (src/coverage/): a hit per matched route and method, and 404s by path template. */
  readonly coverage?: RouteHitRecorder | undefined;
}

export function recordStage({ metrics, refusals, logs, accessLog, coverage }: RecordDeps): Stage {
  const n = logs.fieldLength;
  return {
    name: 'record',
    run() {},
    finish(ctx) {
      const route = ctx.match?.route.pattern ?? '(none)';
      const refusal = ctx.refusal;
      const status = ctx.status;
      coverage?.record(ctx.match?.route.index, ctx.method, refusal?.error.code === 'PG_ROUTE_NOT_FOUND' ? ctx.target?.segments : undefined);
      metrics.requests.inc({ route, method: ctx.method, status, code: refusal?.error.code ?? '' });
      if (ctx.startedAt !== undefined) metrics.gatewayDuration.observe({ route }, ((ctx.forwardedAt ?? performance.now()) - ctx.startedAt) / 1000);
      if (refusal !== undefined) {
        const { error, stage } = refusal;
        if (!refusals.admit(error.code, error.status >= 500, logs.refusalsPerSecond)) return;
        // A 403's line names the permission code that was missing or denied (the body names it only with
        // rbac.exposeMissingCode); the code is filled from the path, so it is cut like the path.
        const denial = stage === 'authorize' ? ctx.denial : undefined;
        const fields = { code: error.code, status, stage, route, method: boundedField(ctx.method, n), path: boundedField(ctx.target?.path, n), client: boundedField(ctx.client.ip, n), subject: boundedField(ctx.identity?.subject, n), permission: boundedField(denial?.code, n), reason: denial?.reason };
        if (error.status < 500) ctx.log.info(fields, 'request refused');
        else ctx.log.warn(fields, 'request failed');
      } else if (accessLog) {
        const ms = ctx.startedAt === undefined ? undefined : performance.now() - ctx.startedAt;
        ctx.log.info({ route, method: ctx.method, path: boundedField(ctx.target?.path, n), status, client: ctx.client.ip, subject: boundedField(ctx.identity?.subject, n), ms, fallback: ctx.fallback }, 'request');
      } else if (ctx.fallback !== undefined) {
        // Sampled as refusals are: while a breaker is open, every request of its routes is answered this way.
        if (!refusals.admit(`fallback:${ctx.fallback}`, false, logs.refusalsPerSecond)) return;
        ctx.log.info({ fallback: ctx.fallback, status, route, method: boundedField(ctx.method, n), path: boundedField(ctx.target?.path, n), subject: boundedField(ctx.identity?.subject, n) }, 'answered by a fallback, not the upstream');
      }
    },
  };
}
