// Prometheus metrics of one gateway instance, in its own registry (two gateways in one process never mix).
// Labels are route patterns and upstream names from the config, never raw paths or anything a client chooses.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { KeyedCounter, KeyedHistogram } from './keyed-metrics.js';

/** Default Node.js metrics that are gauges ending in `_total`: left out (see the constructor). */
export const GAUGES_NAMED_TOTAL = ['permgate_nodejs_active_handles_total', 'permgate_nodejs_active_requests_total', 'permgate_nodejs_active_resources_total'];

const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class GatewayMetrics {
  /** This process's own metrics. */
  readonly own = new Registry();
  /** What a scrape serves: `own`, or in a fleet primary every process's metrics merged (src/fleet/fleet-metrics.ts). */
  readonly registry: Registry;
  // The three metrics every request touches are keyed (keyed-metrics.ts): same text, without prom-client's per-call
  // label validation and hashing.
  readonly requests = new KeyedCounter({
    name: 'permgate_requests_total',
    help: 'Requests by matched route pattern, method and response status; local replies also carry their error code',
    labelNames: ['route', 'method', 'status', 'code'] as const,
    registers: [this.own],
  });
  readonly gatewayDuration = new KeyedHistogram({
    name: 'permgate_gateway_duration_seconds',
    help: "The gateway's own time per request: arrival to hand-off for proxied requests, arrival to reply for local ones",
    labelNames: ['route'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.own],
  });
  readonly upstreamDuration = new KeyedHistogram({
    name: 'permgate_upstream_duration_seconds',
    help: "Time from hand-off to the upstream's response head, by upstream and outcome",
    labelNames: ['upstream', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.own],
  });

  readonly authentications = new Counter({
    name: 'permgate_authentications_total',
    help: 'Token authentications by outcome: ok (signature verified), cached (verified earlier), or the error code',
    labelNames: ['outcome'] as const,
    registers: [this.own],
  });
  readonly revocationChecks = new Counter({
    name: 'permgate_revocation_checks_total',
    help: 'Revocation checks by outcome: ok, revoked, store-down-denied, store-down-cached',
    labelNames: ['outcome'] as const,
    registers: [this.own],
  });
  readonly revocationResyncs = new Counter({
    name: 'permgate_revocation_resyncs_total',
    help: 'Full reloads of the local revocation mirror, by reason (start, reconnected, version gap, version check, store reset, epoch changed, unreadable message)',
    labelNames: ['reason'] as const,
    registers: [this.own],
  });
  readonly revocationsKept = new Counter({
    name: 'permgate_revocations_kept_total',
    help: 'Revocations a reload found missing from the shared store (lost in a failover or a data loss) and kept in the local mirror',
    registers: [this.own],
  });
  readonly jwksRefreshes = new Counter({
    name: 'permgate_jwks_refreshes_total',
    help: 'JWKS fetches by outcome (ok, failed)',
    labelNames: ['outcome'] as const,
    registers: [this.own],
  });

  readonly rateLimitDecisions = new Counter({
    name: 'permgate_rate_limit_decisions_total',
    help: 'Rate-limit decisions: allowed (dimension "all"), or refused by the named dimension',
    labelNames: ['dimension', 'outcome'] as const,
    registers: [this.own],
  });
  readonly rbacSourceUp = new Gauge({
    name: 'permgate_rbac_source_up',
    help: 'Whether an RBAC source beside the store is current (1) or not (0: unreachable or its change feed lost), by source (sql)',
    labelNames: ['source'] as const,
    registers: [this.own],
  });
  readonly rbacSqlQueries = new Counter({
    name: 'permgate_rbac_sql_queries_total',
    help: 'Queries the SQL source ran, by query (subjectRoles, subjectGrants, roleGrants, roleGrantsOf, roleParents, roleParentsOf, version, unmapped) and outcome (ok, error)',
    labelNames: ['query', 'outcome'] as const,
    registers: [this.own],
  });
  readonly rbacSqlUnmappedRows = new Gauge({
    name: 'permgate_rbac_sql_unmapped_rows',
    help: "Rows of the SQL source's tables its preset cannot map and leaves out (Casbin: g2 and other ptypes, rows of shapes it does not read), as last counted at start or a full reload, by preset",
    labelNames: ['preset'] as const,
    registers: [this.own],
  });
  readonly rbacSqlQueryDuration = new Histogram({
    name: 'permgate_rbac_sql_query_duration_seconds',
    help: 'Time of one SQL source query, by query',
    labelNames: ['query'] as const,
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [this.own],
  });
  readonly rateLimitFallbacks = new Counter({
    name: 'permgate_rate_limit_fallbacks_total',
    help: 'Requests limited by the local share because the shared store failed',
    registers: [this.own],
  });
  readonly rateLimitLateCalls = new Counter({
    name: 'permgate_rate_limit_late_calls_total',
    help: 'Shared rate-limit store calls that passed their deadline while the store still answered older ones: waited for, not failed',
    registers: [this.own],
  });
  readonly rateLimitStoreDuration = new Histogram({
    name: 'permgate_rate_limit_store_duration_seconds',
    help: 'Time of the one store round-trip that checks and spends every budget of a request',
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05],
    registers: [this.own],
  });

  readonly authorizationDenials = new Counter({
    name: 'permgate_authorization_denials_total',
    help: 'Requests refused with 403, by route pattern and reason (missing: no grant covers the code; denied: a deny does)',
    labelNames: ['route', 'reason'] as const,
    registers: [this.own],
  });
  readonly shadowRefusals = new Counter({
    name: 'permgate_shadow_refusals_total',
    help: 'Requests a stage in shadow mode would have refused and let through (issue 14), by route pattern, the stage that would have refused first, and its error code',
    labelNames: ['route', 'stage', 'code'] as const,
    registers: [this.own],
  });
  readonly rbacCache = new KeyedCounter({
    name: 'permgate_rbac_cache_lookups_total',
    help: 'Compiled-permission lookups by result: hit (no I/O) or miss (the subject is read from the store)',
    labelNames: ['result'] as const,
    registers: [this.own],
  });
  readonly rbacResyncs = new Counter({
    name: 'permgate_rbac_resyncs_total',
    help: 'Times every compiled subject was dropped because changes may have been missed, by reason (start, reconnected, version gap, version check, store reset, epoch changed, unreadable message)',
    labelNames: ['reason'] as const,
    registers: [this.own],
  });
  readonly denialSpikes = new Counter({
    name: 'permgate_denial_spikes_total',
    help: 'Subjects flagged because their denials reached rbac.denialSpikes.threshold within one window (once per spike)',
    registers: [this.own],
  });
  readonly denialSpikeWebhooks = new Counter({
    name: 'permgate_denial_spike_webhooks_total',
    help: 'Denial spike webhook calls by outcome: sent (2xx), failed (error status, timeout, no answer; never retried), dropped (too many in flight)',
    labelNames: ['outcome'] as const,
    registers: [this.own],
  });
  readonly grantUsageRecords = new Counter({
    name: 'permgate_grant_usage_records_total',
    help: 'Last-used days of (subject, grant) pairs, by outcome: written to the store, or dropped (queue full, store failed)',
    labelNames: ['outcome'] as const,
    registers: [this.own],
  });
  readonly auditDropped = new Counter({
    name: 'permgate_audit_dropped_total',
    help: 'Denials not written to the audit trail (over rbac.auditDenials per second, or the store failed)',
    registers: [this.own],
  });

  readonly breakerState = new Gauge({
    name: 'permgate_breaker_state',
    help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open (upstream:<name>, route:<pattern>, store:rate-limits)',
    labelNames: ['breaker'] as const,
    registers: [this.own],
    // Merged over a fleet's workers (issue 12), the worst state counts; a sum of states means nothing.
    aggregator: 'max',
  });
  readonly breakerTransitions = new Counter({
    name: 'permgate_breaker_transitions_total',
    help: 'Circuit breaker transitions, by breaker and the state entered',
    labelNames: ['breaker', 'to'] as const,
    registers: [this.own],
  });
  readonly shortCircuits = new Counter({
    name: 'permgate_breaker_short_circuits_total',
    help: 'Requests answered without calling the upstream because its breaker is open, by breaker and answer (rejected, static, last-good)',
    labelNames: ['breaker', 'outcome'] as const,
    registers: [this.own],
  });
  /** Set by the gateway: how many requests are in flight, read at scrape time. */
  inFlightSource: () => number = () => 0;
  readonly inFlight: Gauge = new Gauge({
    name: 'permgate_requests_in_flight',
    help: 'Requests being handled now (refused with 503 PG_OVERLOADED beyond server.limits.inFlight)',
    registers: [this.own],
    collect: (): void => this.inFlight.set(this.inFlightSource()),
  });
  /** Set by the gateway: 1 while the store can serve commands, 0 while it cannot, read at scrape time. */
  storeUpSource: () => { readonly kind: string; readonly up: boolean } = () => ({ kind: 'memory', up: true });
  readonly storeUp: Gauge<'kind'> = new Gauge({
    name: 'permgate_store_up',
    help: 'Whether the store (kind: memory, sqlite, redis) can serve commands now: 1 yes, 0 no (what /readyz reports as store.ready)',
    labelNames: ['kind'] as const,
    registers: [this.own],
    // Merged over a fleet's workers, a store any worker cannot reach counts as down.
    aggregator: 'min',
    collect: (): void => {
      const { kind, up } = this.storeUpSource();
      this.storeUp.set({ kind }, up ? 1 : 0);
    },
  });
  readonly connectionsDropped = new Counter({
    name: 'permgate_connections_dropped_total',
    help: 'Client connections closed on arrival because server.limits.connections were open',
    registers: [this.own],
  });
  /** Set by the gateway: the certificates each TLS listener serves now, read at scrape time. */
  certificatesSource: () => readonly { readonly listener: string; readonly certFile: string; readonly validTo: number }[] = () => [];
  readonly certificateExpiry: Gauge<'listener' | 'certificate'> = new Gauge({
    name: 'permgate_tls_certificate_expiry_seconds',
    help: 'Seconds until a served certificate expires (negative: expired), by listener (host:port) and certificate file',
    labelNames: ['listener', 'certificate'] as const,
    registers: [this.own],
    aggregator: 'min',
    collect: (): void => {
      this.certificateExpiry.reset();
      const now = Date.now();
      for (const cert of this.certificatesSource()) this.certificateExpiry.set({ listener: cert.listener, certificate: cert.certFile }, Math.floor((cert.validTo - now) / 1000));
    },
  });
  readonly certificateReloads = new Counter({
    name: 'permgate_tls_certificate_reloads_total',
    help: 'Certificate reloads of TLS listeners by outcome (applied, rejected: the files did not read and the certificates in force stay)',
    labelNames: ['outcome'] as const,
    registers: [this.own],
  });
  readonly http2SessionsClosed = new Counter({
    name: 'permgate_http2_sessions_closed_total',
    help: 'HTTP/2 connections the gateway closed for abuse, by reason (rapid_reset: more cancelled streams per second than the listener allows)',
    labelNames: ['reason'] as const,
    registers: [this.own],
  });
  readonly websocketConnections = new Gauge({
    name: 'permgate_websocket_connections',
    help: 'Open proxied WebSockets, by route pattern',
    labelNames: ['route'] as const,
    registers: [this.own],
  });
  readonly websocketCloses = new Counter({
    name: 'permgate_websocket_closes_total',
    help: 'Proxied WebSockets closed, by reason: token-expired, token-revoked, subject-revoked, permission-withdrawn (access ended: 1008), client, upstream, idle (no pong), too-large (1009), shutdown',
    labelNames: ['reason'] as const,
    registers: [this.own],
  });
  readonly refusalLinesSuppressed = new Counter({
    name: 'permgate_refusal_log_lines_suppressed_total',
    help: 'Refusal log lines left out by server.logs.refusalsPerSecond, by error code (every refusal is still in permgate_requests_total)',
    labelNames: ['code'] as const,
    registers: [this.own],
  });
  readonly adminRefusals = new Counter({
    name: 'permgate_admin_refusals_total',
    help: 'Admin API calls refused by authentication (401) or permission (403), by error code',
    labelNames: ['code'] as const,
    registers: [this.own],
  });
  readonly reloads = new Counter({
    name: 'permgate_config_reloads_total',
    help: 'Config reloads by outcome (applied, rejected)',
    labelNames: ['outcome'] as const,
    registers: [this.own],
  });

  constructor(options: { processMetrics: boolean; exposition?: ((own: Registry) => Registry) | undefined }) {
    this.registry = options.exposition?.(this.own) ?? this.own;
    if (options.processMetrics) {
      collectDefaultMetrics({ register: this.own, prefix: 'permgate_' });
      // prom-client also exports these totals as gauges named `_total`, which Prometheus reserves for counters (and
      // OpenMetrics parsers refuse). They are the sums of the labelled gauges of the same name without `_total`:
      // sum(permgate_nodejs_active_handles) gives the same number.
      for (const name of GAUGES_NAMED_TOTAL) this.own.removeSingleMetric(name);
    }
  }
}
