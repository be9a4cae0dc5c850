// The composition root: buildGateway(config, deps) opens the store the `store` section names (once per process),
// builds what outlives a reload (the RBAC engine, revocations, budgets, pools: `Shared`), a Runtime per loaded
// config (runtime.ts), the data plane's HTTP adapter (server/data-plane.ts) and the admin app, and owns the
// listeners, reload and drain. No listen here except in `listen()`, so tests drive a gateway directly.
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { Registry } from 'prom-client';
import type { Pool } from 'undici';
import { buildAdminApi, readinessProbe, type AdminApiDeps } from './admin/admin-api.js';
import type { WorkerReadiness } from './admin/readiness.js';
import { buildStatusServer } from './admin/status-server.js';
import type { Authenticator } from './auth/authenticator.js';
import { buildRevocations } from './auth/build-auth.js';
import type { RevocationList } from './auth/revocation-list.js';
import { ConfigError, formatIssue } from './config/config-error.js';
import { loadConfig, type LoadedConfig } from './config/load.js';
import { restartOnlyChanges } from './config/reload-check.js';
import { logLintFindings } from './lint/log-findings.js';
import type { AuditTrail } from './observability/audit-trail.js';
import { loggerOptions } from './observability/logger.js';
import { RefusalLog } from './observability/refusal-log.js';
import { GatewayMetrics } from './observability/metrics.js';
import { RouteCoverage } from './coverage/route-coverage.js';
import { rateLimitStores } from './ratelimit/build-rate-limiter.js';
import type { Authorizer } from './rbac/authorizer.js';
import { buildRbac } from './rbac/build-rbac.js';
import { DenialSpikeWatch } from './privilege/denial-spike-watch.js';
import { grantUsageRecorder } from './privilege/build-grant-usage.js';
import type { RbacAuthorizer } from './rbac/rbac-authorizer.js';
import { LayeredRbacStore } from './rbac/sql/layered-rbac-store.js';
import { buildRuntime, type Runtime, type Shared } from './runtime.js';
import { openStore } from './stores/open-store.js';
import type { Store } from './stores/store.js';
import { CarriedOver } from './upstream/carried-over.js';
import type { Breaker } from './upstream/circuit-breaker.js';
import type { LastGoodCache } from './upstream/last-good.js';
import { ShadowReport } from './shadow/shadow-report.js';
import { retirePool } from './upstream/upstream-pool.js';
import { buildDataPlane } from './server/data-plane.js';
import { DataListeners } from './server/data-listeners.js';
import { reusePortChoice } from './server/reuse-port.js';
import { isFleetWorker } from './fleet/fleet-role.js';
import { SharedConnectionCounts } from './websocket/shared-connection-counts.js';
import { SocketRegistry } from './websocket/socket-registry.js';

export interface GatewayDeps {
  readonly authenticator?: Authenticator;
  readonly authorizer?: Authorizer;
  readonly store?: Store;
  /** Overrides the configured logger (tests pass false). */
  readonly logger?: FastifyServerOptions['logger'];
  /** Registers process-wide metrics (CPU, memory, event loop). Off in tests that build several gateways. */
  readonly processMetrics?: boolean;
  /** The clock (milliseconds since the epoch); tests inject one instead of sleeping. */
  readonly now?: () => number;
  /** A fleet primary's part in this gateway (src/fleet/primary.ts); absent in a single process and in workers. */
  readonly fleet?: FleetHooks;
}

/**
 * What a fleet primary adds to the gateway it serves the admin API from (issue 12): its workers serve the data
 * plane, so reloads go through them, readiness follows them and a scrape holds their metrics.
 */
export interface FleetHooks {
  /** Reads and checks the config file (keeping its text for the workers). */
  load(file: string): Promise<LoadedConfig>;
  /**
   * Reload phase one on every worker; throws (a ConfigError) when one could not prepare, after every worker dropped
   * it: nothing changes anywhere. `commit` is phase two, resolved once every worker swapped it in.
   */
  prepare(candidate: LoadedConfig): Promise<{ commit(): Promise<void> }>;
  /** True once the primary began stopping its workers: readiness is then 503 `draining`. */
  stopping(): boolean;
  /** Each worker slot's worker, for readiness (503 while none is ready). */
  workers(): readonly WorkerReadiness[];
  /** The registry a scrape serves, made from this process's own. */
  exposition(own: Registry): Registry;
}

/** A candidate config built and held, not yet in force: a fleet worker's reload, phase one. */
export interface PreparedReload {
  /** Swaps it in (requests in flight finish on the old one). */
  commit(): ReloadResult;
  /** Drops it; the config in force stays. */
  discard(): void;
}

/** Which listeners `listen()` opens: a fleet primary serves the admin and status planes, its workers the data plane. */
export interface Planes {
  readonly dataPlane: boolean;
  readonly admin: boolean;
}

export interface ReloadResult {
  readonly file: string;
  readonly routes: number;
}

export interface Gateway {
  readonly app: FastifyInstance;
  readonly admin: FastifyInstance;
  /** The status listener's app (probes and metrics, no token), when `server.status` is set. */
  readonly status: FastifyInstance | undefined;
  readonly metrics: GatewayMetrics;
  readonly store: Store;
  /** Present once a config with `auth` has been loaded. */
  readonly revocations: RevocationList | undefined;
  readonly rbac: RbacAuthorizer;
  readonly audit: AuditTrail;
  /** The config in force. */
  readonly config: LoadedConfig;
  /**
   * Listens on the configured addresses (port 0 picks a free one) and returns their base URLs ('' for a plane not
   * opened): `url` is the first data-plane listener's, `urls` every one's in config order.
   */
  listen(planes?: Planes): Promise<{ url: string; urls: readonly string[]; adminUrl: string; statusUrl: string | undefined }>;
  /**
   * Re-reads the config file (or takes `next`) and swaps it in; requests in flight finish on the old one. Throws
   * ConfigError, and keeps the old config, when the new one is invalid or changes what only a restart can.
   */
  reload(options?: { readonly next?: LoadedConfig; readonly actor?: string }): Promise<ReloadResult>;
  /** Builds `next` without swapping it in (throws ConfigError as reload does); neither logged, counted nor audited. */
  prepare(next: LoadedConfig): Promise<PreparedReload>;
  /**
   * Readiness turns 503 at once; for `drainDelay` ms (default 0: tests and embedders stop at once; cli.ts passes
   * server.drainDelay on SIGTERM) requests are still served, each answer with `Connection: close`; then the listener
   * stops accepting, in-flight requests finish (up to server.drainTimeout), pools and the store close.
   */
  close(options?: { readonly drainDelay?: number }): Promise<void>;
}

export async function buildGateway(loaded: LoadedConfig, deps: GatewayDeps = {}): Promise<Gateway> {
  const { config: initial } = loaded;
  const logger = deps.logger !== undefined ? deps.logger : loggerOptions(initial.server);
  const metrics = new GatewayMetrics({ processMetrics: deps.processMetrics ?? true, exposition: deps.fleet?.exposition });
  const store = deps.store ?? openStore(initial.store);
  const now = deps.now ?? Date.now;
  // Hits per route and 404 templates since this process began (issue 14); kept across reloads.
  const coverage = new RouteCoverage(now);
  let current: Runtime | undefined;
  /** Shutdown's phases (data-plane.ts): serving → leaving (the drain delay) → draining (stopped accepting). */
  let phase: 'serving' | 'leaving' | 'draining' = 'serving';

  const plane = buildDataPlane({
    server: initial.server,
    logger,
    current: () => current!,
    phase: () => phase,
    released(runtime) {
      if (runtime !== current) retire(runtime);
    },
  });
  const { app } = plane;
  const log = app.log;

  const audit = store.auditTrail(initial.store.audit);
  const notice = store.notice();
  if (notice !== undefined) log[notice.level](notice.fields ?? {}, notice.message);
  // Start on the shared store when it is there: without this wait, the first requests of a fresh instance would be
  // limited by the local share while the connection opens, and their budgets counted twice.
  // Since when the shared store is unreachable (-Infinity: never reached since start), for readiness: compiled
  // permissions older than rbac.maxStaleness are not used, so past that every protected route is refused.
  let unreachableSince: number | undefined;
  await store.ready(2_000).catch((err: Error) => {
    unreachableSince = -Infinity;
    log.warn({ reason: err.message }, 'shared store not reachable at start; serving degraded until it is');
  });
  store.watch((reachable) => {
    if (reachable) log.info('shared store reachable again');
    else log.warn('shared store unreachable: routes follow their onStoreDown until it returns');
    unreachableSince = reachable ? undefined : (unreachableSince ?? now());
  });

  // Grant use (the least-privilege report): recorded when rbac.usage.record was on at start; a reload does not
  // turn it on or off, as the recorder lives with the store.
  const usageStore = store.grantUsage();
  const usage = initial.rbac.usage.record ? grantUsageRecorder(usageStore, initial.rbac, metrics, log) : undefined;
  const rbac = await buildRbac(initial.rbac, store, metrics, log, now, usage, loaded.locate);
  const sqlSource = rbac.store instanceof LayeredRbacStore ? rbac.store.sql : undefined;
  let revocations: RevocationList | undefined;
  const sockets = websocketRegistry();
  const sharedConnections = (store as Store).sharedConnections?.();
  const connectionCounts = sharedConnections === undefined ? undefined : new SharedConnectionCounts(sharedConnections, now);
  const shared: Shared = {
    store,
    metrics,
    audit,
    rbac,
    rateLimits: rateLimitStores(store, metrics, log, now),
    refusals: new RefusalLog(log, now, (code) => metrics.refusalLinesSuppressed.inc({ code })),
    coverage,
    now,
    carried: {
      pools: new CarriedOver<Pool>(retirePool),
      breakers: new CarriedOver<Breaker>((breaker) => breaker.shutdown()),
      lastGood: new CarriedOver<LastGoodCache>(),
    },
    async revocations(config) {
      if (revocations === undefined) {
        revocations = await buildRevocations(config, store, metrics, now);
        revocations.onChange((change) => sockets.revocationChanged(change));
      }
      return revocations;
    },
    authenticator: deps.authenticator,
    authorizer: deps.authorizer,
    denialSpikes: new DenialSpikeWatch({ audit, metrics, log }),
    shadowReport: new ShadowReport(initial.shadow.reportEntries),
    sockets,
    connectionCounts,
  };
  current = await buildRuntime(loaded, shared, log);
  logLintFindings(loaded, log);

  // Opened by listen(): a gateway that tests drive by inject() opens no port and watches no certificate file.
  let listeners: DataListeners | undefined;
  metrics.inFlightSource = plane.inFlight;
  metrics.storeUpSource = () => {
    const status = store.status();
    return { kind: status.kind, up: status.ready };
  };

  // Configs replaced by a reload whose requests are still running: their pools stay open until they are done.
  const retiring = new Set<Runtime>();
  function retire(runtime: Runtime): void {
    void runtime.close();
    retiring.delete(runtime);
    keepCarried();
  }
  /**
   * Disposes of the carried parts no config still needs: pools used by the current config or by one still
   * finishing requests; breakers and last-good caches of the current config (a request of an older one may settle on
   * a disposed breaker, which then counts nothing).
   */
  function keepCarried(): void {
    const pools = new Set(current!.poolKeys);
    for (const runtime of retiring) for (const key of runtime.poolKeys) pools.add(key);
    shared.carried.pools.keepOnly(pools);
    shared.carried.breakers.keepOnly(current!.forwarder.carriedKeys.breakers);
    shared.carried.lastGood.keepOnly(current!.forwarder.carriedKeys.lastGood);
  }

  async function prepare(candidate: LoadedConfig): Promise<PreparedReload> {
    const issues = restartOnlyChanges(current!.config, candidate);
    if (issues.length > 0) throw new ConfigError(issues);
    const runtime = await buildRuntime(candidate, shared, log);
    return {
      commit() {
        const previous = current!;
        rbac.reconfigure(candidate.config.rbac);
        shared.shadowReport.setCapacity(candidate.config.shadow.reportEntries);
        current = runtime;
        listeners?.reconfigure(candidate.config.server);
        retiring.add(previous);
        if (previous.inFlight === 0) retire(previous);
        else keepCarried();
        // Breakers the new config no longer has leave the metrics with it.
        const kept = runtime.breakerStates();
        for (const name of Object.keys(previous.breakerStates())) if (!(name in kept)) metrics.breakerState.remove({ breaker: name });
        return { file: candidate.config.file, routes: candidate.routes.routes.length };
      },
      discard() {
        void runtime.close();
        keepCarried();
      },
    };
  }

  let reloading: Promise<unknown> = Promise.resolve();
  async function reload({ next, actor = 'SIGHUP' }: { next?: LoadedConfig; actor?: string } = {}): Promise<ReloadResult> {
    const run = reloading.then(async () => {
      const previous = current!;
      const file = next?.config.file ?? previous.config.file;
      try {
        const candidate = next ?? (await (deps.fleet ? deps.fleet.load(previous.config.file) : loadConfig(previous.config.file)));
        const prepared = await prepare(candidate);
        // A fleet's workers prepare the same config before anything is swapped in anywhere.
        const fleet = await deps.fleet?.prepare(candidate).catch((err: unknown) => {
          prepared.discard();
          throw err;
        });
        await fleet?.commit();
        const result = prepared.commit();
        metrics.reloads.inc({ outcome: 'applied' });
        log.info(result, 'config reloaded');
        logLintFindings(candidate, log);
        await audit.record({ at: now(), actor, action: 'config.reload', target: file, after: result }).catch(() => {});
        return result;
      } catch (err) {
        // Parts a failed build made for the candidate go; those of the configs still in use stay.
        keepCarried();
        metrics.reloads.inc({ outcome: 'rejected' });
        log.error({ reason: (err as Error).message }, 'config reload rejected; the config in force stays');
        const problems = err instanceof ConfigError ? err.issues.map(formatIssue) : [(err as Error).message];
        await audit.record({ at: now(), actor, action: 'config.reload.rejected', target: file, after: { problems } }).catch(() => {});
        throw err;
      }
    });
    reloading = run.catch(() => {});
    return run;
  }
  const adminDeps: AdminApiDeps = {
    current: () => current!,
    draining: () => phase !== 'serving' || deps.fleet?.stopping() === true,
    workers: deps.fleet?.workers,
    // The SQL source is a store for readiness: compiled permissions age the same way while either is away.
    storeUnreachableFor: () => Math.max(unreachableSince === undefined ? 0 : now() - unreachableSince, sqlSource?.unreachableFor() ?? 0),
    ...(sqlSource !== undefined ? { rbacSources: () => ({ sql: { current: sqlSource.isCurrent() } }) } : {}),
    metrics,
    store,
    logger,
    audit,
    rbac,
    revocations: () => revocations,
    sharedBreakers: (): Record<string, string> => {
      const breaker = shared.rateLimits.breaker;
      return breaker ? { 'store:rate-limits': breaker.state } : {};
    },
    reload: (actor) => reload({ actor }),
    coverage,
    grantUsage: usageStore,
    shadowReport: shared.shadowReport,
    now,
  };
  const admin = buildAdminApi(adminDeps);
  let closing: Promise<void> | undefined;
  const status = initial.server.status === undefined ? undefined : buildStatusServer({ metrics, logger, readyz: readinessProbe(adminDeps) });

  return {
    app,
    admin,
    status,
    metrics,
    store,
    get revocations() {
      return revocations;
    },
    rbac,
    audit,
    get config() {
      return current!.loaded;
    },
    reload,
    prepare,
    async listen(planes: Planes = { dataPlane: true, admin: true }) {
      const { server } = initial;
      let urls: string[] = [];
      if (planes.dataPlane) {
        await app.ready();
        listeners = new DataListeners(current!.config.server, plane.handler, plane.upgrade, metrics, log);
        const { reusePort } = reusePortChoice(server.reusePort, { fleet: isFleetWorker(), listeners: server.listeners });
        urls = await listeners.listen({ reusePort });
      }
      const url = urls[0] ?? '';
      const adminUrl = planes.admin ? await admin.listen({ host: server.admin.host, port: server.admin.port }) : '';
      const statusUrl = status === undefined || !planes.admin ? undefined : await status.listen({ host: server.status!.host, port: server.status!.port });
      return { url, urls, adminUrl, statusUrl };
    },
    close(options = {}) {
      closing ??= shutdown(options.drainDelay ?? 0);
      return closing;
    },
  };

  /**
   * Open WebSockets end when their access does (issue 13): the registry is told of every revocation that enters the
   * mirror and of every RBAC change, and each close for an access reason is audited.
   */
  function websocketRegistry(): SocketRegistry {
    const registry = new SocketRegistry({
      now,
      isRevoked: (token) => revocations?.isRevoked(token),
      authorizer: () => deps.authorizer ?? rbac,
      sweepInterval: 1_000,
      onAccessEnded(connection, reason) {
        const subject = connection.token?.identity.subject ?? '';
        log.info({ kind: connection.kind, route: connection.route, subject, reason }, 'connection closed: its access ended');
        void audit.record({ at: now(), actor: 'gateway', action: `${connection.kind}.closed`, target: subject, after: { route: connection.route, reason } }).catch(() => {});
      },
    });
    rbac.onPermissionsChanged((changed) => registry.permissionsChanged(changed));
    return registry;
  }

  async function shutdown(drainDelay: number): Promise<void> {
    if (drainDelay > 0) {
      // Load balancers see /readyz 503 and stop sending; until they have, requests are served, and every answer
      // (those in flight too) ends its connection so kept-alive clients come back through the balancer.
      phase = 'leaving';
      plane.closeAfterAnswers();
      listeners?.goAway();
      log.info({ drainDelay }, 'not ready; serving until the drain delay ends');
      await new Promise((resolve) => setTimeout(resolve, drainDelay));
    }
    phase = 'draining';
    // Open WebSockets would hold the listener open until the deadline: they are told to go (1001) now.
    sockets.close();
    connectionCounts?.close();
    // In-flight requests finish, up to the drain deadline; then whatever is left is cut.
    const deadline = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), current!.config.server.drainTimeout).unref());
    const closed = Promise.all([listeners?.close(), app.close()]).then(() => 'done' as const);
    // A kept-alive connection whose last request finishes during the drain would otherwise stay open, idle, until
    // the deadline: close connections as they fall idle, so the drain ends when the last request does.
    listeners?.closeIdle();
    const sweep = setInterval(() => listeners?.closeIdle(), 50);
    try {
      if ((await Promise.race([closed, deadline])) === 'late') {
        log.warn({ inFlight: plane.inFlight() }, 'drain deadline passed; closing the remaining connections');
        listeners?.closeAll();
        await closed;
      }
    } finally {
      clearInterval(sweep);
    }
    await admin.close();
    await status?.close();
    // Spans of the last requests are exported before the process goes (bounded by tracing.otlp.timeout).
    await current!.close();
    shared.carried.breakers.clear();
    // In-flight requests are done (or cut) once app.close() resolves.
    await Promise.all([...shared.carried.pools.values()].map((pool) => pool.destroy()));
    shared.carried.pools.clear();
    await revocations?.close();
    await usage?.close();
    await rbac.close();
    await shared.rateLimits.breaker?.shutdown();
    await store.close();
  }
}
