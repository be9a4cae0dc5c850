// Everything built from one loaded config: the journey, the forwarding plans and breakers, the authenticator and the
// rate limiter. A reload builds a new Runtime and swaps it in; requests keep the Runtime they arrived under, and the
// old one is closed once they are done. What must outlive a reload (the store, revocations, the RBAC engine, rate-
// limit budgets, connection pools, metrics) is `Shared`.
import { refuseAll, type Authenticator } from './auth/authenticator.js';
import { buildAuth, type AuthParts } from './auth/build-auth.js';
import type { RevocationList } from './auth/revocation-list.js';
import type { RevocationConfig } from './config/auth-types.js';
import type { LoadedConfig } from './config/load.js';
import type { GatewayConfig } from './config/types.js';
import { GatewayError } from './errors.js';
import type { AuditTrail } from './observability/audit-trail.js';
import type { LogPort } from './observability/log-port.js';
import type { RouteCoverage } from './coverage/route-coverage.js';
import type { GatewayMetrics } from './observability/metrics.js';
import type { RefusalLog } from './observability/refusal-log.js';
import { denialReporter } from './pipeline/denial-reporter.js';
import type { DenialSpikeWatch } from './privilege/denial-spike-watch.js';
import { buildJourney } from './pipeline/index.js';
import type { Journey } from './pipeline/journey-runner.js';
import type { Identity } from './auth/identity.js';
import type { VerifiedToken } from './auth/claims.js';
import { buildRateLimiter, type RateLimitStores } from './ratelimit/build-rate-limiter.js';
import { denyAll, type Authorizer } from './rbac/authorizer.js';
import type { RbacAuthorizer } from './rbac/rbac-authorizer.js';
import type { Store } from './stores/store.js';
import type { BreakerState } from './upstream/circuit-breaker.js';
import { shadowRecorder } from './shadow/shadow-recorder.js';
import type { ShadowReport } from './shadow/shadow-report.js';
import { loadTracer } from './tracing/load-tracer.js';
import { TrustedProxies } from './upstream/client-address.js';
import { Forwarder } from './upstream/forward.js';
import { ResilientForwarder, type CarriedParts } from './upstream/resilient-forward.js';
import type { SharedConnectionCounts } from './websocket/shared-connection-counts.js';
import type { SocketRegistry } from './websocket/socket-registry.js';
import { WebSocketRelay } from './websocket/websocket-relay.js';

export interface Shared {
  readonly store: Store;
  readonly metrics: GatewayMetrics;
  readonly audit: AuditTrail;
  readonly rbac: RbacAuthorizer;
  readonly rateLimits: RateLimitStores;
  /** Refusal log lines, sampled per second across reloads. */
  readonly refusals: RefusalLog;
  readonly now: () => number;
  /** Connection pools, breakers and last-good caches, carried from one config to the next where unchanged. */
  readonly carried: CarriedParts;
  /** The revocation list, created with the first config that has `auth`. */
  revocations(config: RevocationConfig): Promise<RevocationList>;
  /** Test seams: replace the authenticator or authorizer of every runtime. */
  readonly authenticator?: Authenticator | undefined;
  readonly authorizer?: Authorizer | undefined;
  /** Route coverage, kept across reloads (GET /admin/coverage); each config prepares its slots at load. */
  readonly coverage?: RouteCoverage | undefined;
  /** Denial spikes per subject, counted across reloads (rbac.denialSpikes). */
  readonly denialSpikes?: DenialSpikeWatch | undefined;
  /** What shadow mode would have refused, across reloads (GET /admin/shadow/refusals). */
  readonly shadowReport: ShadowReport;
  /** The open WebSockets, across reloads: each ends when its access does (websocket/socket-registry.ts). */
  readonly sockets?: SocketRegistry | undefined;
  /** rateLimits.connections counted across instances, when the store is shared. */
  readonly connectionCounts?: SharedConnectionCounts | undefined;
}

export interface Runtime {
  readonly loaded: LoadedConfig;
  readonly config: GatewayConfig;
  readonly journey: Journey;
  readonly forwarder: ResilientForwarder;
  /** The connection pools this config's requests use: kept open until no request of this config can run. */
  readonly poolKeys: ReadonlySet<string>;
  readonly trusted: TrustedProxies;
  readonly auth: AuthParts | undefined;
  readonly revocations: RevocationList | undefined;
  /** Requests that arrived under this runtime and are not done. */
  inFlight: number;
  /** Verifies a token as the data plane would: signature, claims, not revoked (unknown revocations: refused). */
  identify(token: string): Promise<Identity>;
  /** As `identify`, with the token's claims (what conditions on grants read, for `POST /admin/decision`). */
  verify(token: string): Promise<VerifiedToken>;
  breakerStates(): Record<string, BreakerState>;
  /** Stops what this config started; resolves once its spans are exported (tracing), never rejects. */
  close(): Promise<void>;
}

export async function buildRuntime(loaded: LoadedConfig, shared: Shared, log: LogPort): Promise<Runtime> {
  const { config } = loaded;
  const { metrics, now } = shared;
  const auth = config.auth === undefined ? undefined : await buildAuth(config.auth, metrics, log, now);
  const revocations = config.auth === undefined ? undefined : await shared.revocations(config.auth.revocation);
  const forwarder = new Forwarder(config, shared.carried.pools, {
    onUpstreamDone(ctx, outcome) {
      ctx.upstreamDoneAt = performance.now();
      const seconds = (ctx.upstreamDoneAt - (ctx.forwardedAt ?? ctx.upstreamDoneAt)) / 1000;
      const label = typeof outcome === 'number' ? (outcome >= 500 ? '5xx' : 'ok') : outcome.code === 'PG_UPSTREAM_TIMEOUT' ? 'timeout' : 'error';
      metrics.upstreamDuration.observe({ upstream: ctx.match!.route.upstream.name, outcome: label }, seconds);
      ctx.breakerCall?.settle(outcome);
    },
  });
  const resilient = new ResilientForwarder(config, loaded.routes.routes, forwarder, {
    onTransition(breaker, to) {
      metrics.breakerState.set({ breaker }, to === 'open' ? 2 : to === 'half-open' ? 1 : 0);
      metrics.breakerTransitions.inc({ breaker, to });
      if (to === 'open') log.warn({ breaker }, 'circuit breaker opened: the upstream is failing');
      else log.info({ breaker, state: to }, `circuit breaker ${to}`);
    },
    onShortCircuit: (breaker, outcome) => metrics.shortCircuits.inc({ breaker, outcome }),
  }, shared.carried, now);
  for (const [breaker, state] of Object.entries(resilient.states())) metrics.breakerState.set({ breaker }, state === 'open' ? 2 : state === 'half-open' ? 1 : 0);

  const shadow = shadowRecorder({ config: config.shadow, logs: config.server.logs, report: shared.shadowReport, refusals: shared.refusals, audit: shared.audit, metrics, log, now });
  // Each config has its own tracer (a reload may change `tracing`); the old one is flushed as the old config retires.
  const tracer = await loadTracer(config.tracing, log);
  const journey = buildJourney(loaded, {
    authenticator: shared.authenticator ?? auth?.authenticator ?? refuseAll,
    authorizer: shared.authorizer ?? (auth ? shared.rbac : denyAll),
    authorization: shadow.authorization(denialReporter(config.rbac, shared.audit, metrics, log, now, shared.denialSpikes)),
    revocations: revocations && {
      list: revocations,
      onStoreDown: config.auth!.revocation.onStoreDown,
      outcomes: { onCheck: (outcome) => metrics.revocationChecks.inc({ outcome }) },
    },
    rateLimiter: buildRateLimiter(config, shared.rateLimits, metrics, log, now),
    forwarder: resilient,
    websockets: shared.sockets !== undefined && config.routes.some((route) => route.websocket !== undefined)
      ? new WebSocketRelay(config, shared.sockets, {
          opened: (route) => metrics.websocketConnections.inc({ route }),
          closed(route, reason) {
            metrics.websocketConnections.dec({ route });
            metrics.websocketCloses.inc({ reason });
          },
        }, shared.connectionCounts)
      : undefined,
    record: { metrics, refusals: shared.refusals, logs: config.server.logs, accessLog: config.server.accessLog, coverage: shared.coverage?.prepare(loaded.routes) },
    tracer,
    shadow: { onRefusal: shadow.onRefusal },
  });

  const verify = async (token: string): Promise<VerifiedToken> => {
    if (auth === undefined || revocations === undefined) throw new Error('no authentication configured');
    const verified = await auth.authenticator.verify(token);
    if (!revocations.isCurrent()) throw new GatewayError('PG_STORE_UNAVAILABLE', { detail: 'revocations cannot be checked' });
    if (revocations.isRevoked(verified)) throw new GatewayError('PG_TOKEN_REVOKED');
    return verified;
  };
  return {
    loaded,
    config,
    journey,
    forwarder: resilient,
    poolKeys: forwarder.poolKeys,
    trusted: new TrustedProxies(config.server.trustProxy),
    auth,
    revocations,
    inFlight: 0,
    async identify(token) {
      return (await verify(token)).identity;
    },
    verify,
    breakerStates: () => resilient.states(),
    async close() {
      auth?.close();
      await tracer?.shutdown().catch((err: Error) => log.warn({ reason: err.message }, 'spans not exported at shutdown'));
    },
  };
}
