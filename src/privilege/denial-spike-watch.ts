// What happens when a subject's denials spike (denial-spikes.ts): a counter, a warning, an audit entry (written
// whatever rbac.auditDenials allows: a spike is one entry per subject and window), and, when configured, one POST
// to a webhook. The webhook is called with a timeout, never retried, and at most MAX_IN_FLIGHT at once: a storm of
// spikes, or a webhook that hangs, turns into counted drops instead of piling up sockets and memory.
import type { DenialSpikeConfig } from '../config/rbac-types.js';
import type { AuditTrail } from '../observability/audit-trail.js';
import type { LogPort } from '../observability/log-port.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { DenialSpikeDetector, type DenialSpike } from './denial-spikes.js';

const MAX_IN_FLIGHT = 4;

export interface DenialSpikeWatchDeps {
  readonly audit: AuditTrail;
  readonly metrics: GatewayMetrics;
  readonly log: LogPort;
}

export class DenialSpikeWatch {
  readonly #detector = new DenialSpikeDetector();
  readonly #deps: DenialSpikeWatchDeps;
  #inFlight = 0;

  constructor(deps: DenialSpikeWatchDeps) {
    this.#deps = deps;
  }

  /** One denial of `subject` on `route` (a pattern from the config). */
  denied(subject: string, route: string, at: number, config: DenialSpikeConfig): void {
    const spike = this.#detector.observe(subject, at, config);
    if (spike === undefined) return;
    const { metrics, log, audit } = this.#deps;
    metrics.denialSpikes.inc();
    log.warn({ subject, denials: spike.denials, window: config.window, route }, 'denial spike: a subject was refused over rbac.denialSpikes.threshold times in one window');
    const details = { denials: spike.denials, since: new Date(spike.since).toISOString(), window: config.window, threshold: config.threshold };
    audit.record({ kind: 'denial', at, actor: subject, action: 'subject.denial_spike', target: route, after: details }).catch((err: Error) => {
      metrics.auditDropped.inc();
      log.warn({ reason: err.message }, 'denial spike not written to the audit trail');
    });
    if (config.webhook !== undefined) this.#post(config.webhook, config.webhookTimeout, { event: 'denial_spike', subject, route, at: new Date(at).toISOString(), ...details });
  }

  #post(url: string, timeout: number, body: object): void {
    const { metrics, log } = this.#deps;
    if (this.#inFlight >= MAX_IN_FLIGHT) return void metrics.denialSpikeWebhooks.inc({ outcome: 'dropped' });
    this.#inFlight++;
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(timeout), redirect: 'manual' })
      .then(async (response) => {
        await response.body?.cancel();
        if (response.status >= 200 && response.status < 300) return void metrics.denialSpikeWebhooks.inc({ outcome: 'sent' });
        metrics.denialSpikeWebhooks.inc({ outcome: 'failed' });
        log.warn({ status: response.status }, 'denial spike webhook answered with an error status (not retried)');
      })
      .catch((err: Error) => {
        metrics.denialSpikeWebhooks.inc({ outcome: 'failed' });
        // The URL is not logged: it may carry a secret in its path or query.
        log.warn({ reason: err.name === 'TimeoutError' ? 'timeout' : err.message }, 'denial spike webhook failed (not retried)');
      })
      .finally(() => {
        this.#inFlight--;
      });
  }
}
