// The admin listener, assembled: health and readiness (readinessProbe, shared with the status listener), and every
// admin API (revocations, RBAC, decisions, reload) behind one authentication. Everything config-dependent is read
// from the Runtime in force at each call, so a reload also rotates the admin token and re-points decisions at the
// new routes.
//
// Every /admin/ route, before its body is read: off (no admin token, JWT admins not turned on) → 503; the client
// address used up its failed authentications → 429. Every failed authentication is logged (address, reason; never
// the credential) and, when it is a 401, counted against the address.
import type { FastifyInstance, FastifyRequest, FastifyServerOptions } from 'fastify';
import { createHash } from 'node:crypto';
import { adminEnabled, consoleEnabled } from '../config/admin-types.js';
import { bodyProblem } from '../config/schema/body-problem.js';
import { compileSchema } from '../config/schema/schema-ajv.js';
import { GatewayError } from '../errors.js';
import type { RevocationList } from '../auth/revocation-list.js';
import type { AuditTrail } from '../observability/audit-trail.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { PolicyEditor } from '../rbac/policy-editor.js';
import type { RbacAuthorizer } from '../rbac/rbac-authorizer.js';
import type { Runtime } from '../runtime.js';
import type { Store } from '../stores/store.js';
import { adminAuth, proveAdmin, type AdminAuth, type AdminJwt } from './admin-auth.js';
import { consoleAuth, registerConsole, type ConsoleDeps } from './console/console-routes.js';
import { sessionCookie } from './console/console-guard.js';
import { ConsoleSessions } from './console/console-sessions.js';
import { buildAdminServer, type ProbeDeps } from './admin-server.js';
import { registerFailureThrottle } from './failure-throttle.js';
import { readiness, readinessCode, type WorkerReadiness } from './readiness.js';
import { registerAuditRoutes } from './audit-routes.js';
import { registerCoverageRoutes } from './coverage-routes.js';
import type { RouteCoverage } from '../coverage/route-coverage.js';
import { registerRbacRoutes } from './rbac-routes.js';
import { registerReloadRoute } from './reload-route.js';
import { registerRouteTableRoute } from './route-table-route.js';
import { registerStatusRoutes } from './status-routes.js';
import { registerRevocationRoutes } from './revocation-routes.js';
import { registerUnusedGrantsRoute } from './unused-grants-route.js';
import type { GrantUsageStore } from '../privilege/grant-usage-store.js';
import { registerShadowRoutes } from './shadow-routes.js';
import type { ShadowReport } from '../shadow/shadow-report.js';
import { writableStore } from '../rbac/sql/layered-rbac-store.js';

export interface AdminApiDeps {
  readonly current: () => Runtime;
  /** True once shutdown began (during server.drainDelay too): readiness turns 503 so load balancers stop sending. */
  readonly draining: () => boolean;
  /** A fleet primary's workers, for readiness; absent in a single process and in workers. */
  readonly workers?: () => readonly WorkerReadiness[];
  /** How long the shared store has been unreachable (ms): 0 while it is reachable, Infinity if never since start. */
  readonly storeUnreachableFor: () => number;
  /** RBAC sources beside the store (`rbac.source.sql`) and whether each is current; absent: none. */
  readonly rbacSources?: () => Readonly<Record<string, { readonly current: boolean }>>;
  readonly metrics: GatewayMetrics;
  readonly store: Store;
  readonly logger: FastifyServerOptions['logger'];
  readonly audit: AuditTrail;
  readonly rbac: RbacAuthorizer;
  readonly revocations: () => RevocationList | undefined;
  /** Breakers that live outside the runtime (the rate-limit store's), by name. */
  readonly sharedBreakers: () => Record<string, string>;
  readonly reload: (actor: string) => Promise<{ file: string; routes: number }>;
  /** Route coverage (GET /admin/coverage); absent, the endpoint is not registered. */
  readonly coverage?: RouteCoverage | undefined;
  /** Recorded grant use (GET /admin/rbac/unused). */
  readonly grantUsage: GrantUsageStore;
  /** What shadow mode would have refused (GET /admin/shadow/refusals). */
  readonly shadowReport: ShadowReport;
  readonly now: () => number;
}

/**
 * /readyz, for the admin and the status listeners alike: the rule is readiness.ts's; the body says what it was
 * decided from (the store, revocations, RBAC, the refused routes) and the breakers and config in force.
 */
export function readinessProbe(deps: AdminApiDeps): ProbeDeps['readyz'] {
  return () => {
    const runtime = deps.current();
    const { config } = runtime;
    const store = deps.store.status();
    const draining = deps.draining();
    const revocations = runtime.revocations && config.auth ? { current: runtime.revocations.isCurrent(), onStoreDown: config.auth.revocation.onStoreDown } : undefined;
    const rbacCurrent = deps.rbac.isCurrent();
    const sources = deps.rbacSources?.();
    const sourcesUp = sources === undefined || Object.values(sources).every((source) => source.current);
    const workers = deps.workers?.();
    const { status, refused } = readiness({
      draining,
      workers,
      // A source that is down degrades the instance as the store does: some routes still serve from compiled permissions.
      storeReady: store.ready && sourcesUp,
      routes: runtime.loaded.routes.routes.map(({ pattern, config: route }) => ({ pattern, public: route.auth === 'none', sensitive: route.sensitive, onStoreDown: route.onStoreDown })),
      revocations,
      rbac: { current: rbacCurrent, unreachableFor: deps.storeUnreachableFor(), maxStaleness: config.rbac.maxStaleness },
    });
    return {
      code: readinessCode(status),
      body: {
        status,
        store,
        draining,
        ...(revocations ? { revocations: { current: revocations.current } } : {}),
        rbac: { current: rbacCurrent, ...(sources !== undefined ? { sources } : {}) },
        ...(refused.length > 0 ? { refused } : {}),
        ...(workers !== undefined ? { workers } : {}),
        breakers: { ...runtime.breakerStates(), ...deps.sharedBreakers() },
        config: { file: config.file, routes: runtime.loaded.routes.routes.length },
      },
    };
  };
}

export function buildAdminApi(deps: AdminApiDeps): FastifyInstance {
  const { current, rbac, audit, now } = deps;
  const admin = buildAdminServer({ metrics: deps.metrics, store: deps.store, logger: deps.logger, readyz: readinessProbe(deps), tls: current().config.server.admin.tls });
  const jwt: AdminJwt = {
    identify: (token) => current().identify(token),
    // Admin codes are global (no tenant), and fail closed like a sensitive route.
    holds: async (identity, code) => (await rbac.authorize({ identity, tenant: undefined, codes: [code], mode: 'all', sensitive: true })).allowed,
  };
  const throttle = registerFailureThrottle(admin, () => current().config.server.admin.failureLimit);
  admin.addHook('onRequest', async (request) => {
    if (!request.routeOptions.url?.startsWith('/admin/')) return;
    if (!adminEnabled(current().config.server.admin)) throw new GatewayError('PG_ADMIN_DISABLED');
    await throttle.refuseIfBlocked(request);
  });
  const refused = async (request: FastifyRequest, err: GatewayError, count = true): Promise<void> => {
    // The address, the route and why; never the Authorization header or any part of it
    // (docs/security-rules.md rule 11).
    const what = err.status === 401 ? 'admin authentication failed' : 'admin call refused: missing permission';
    request.log.warn({ address: request.ip, route: request.routeOptions.url, method: request.method, reason: err.code, detail: err.detail }, what);
    deps.metrics.adminRefusals.inc({ code: err.code });
    if (err.status === 401 && count) await throttle.countFailure(request);
  };
  const jwtAdmins = (): boolean => current().config.auth !== undefined && current().config.server.admin.jwt;
  const prove = (given: string, codes: Parameters<ReturnType<typeof proveAdmin>>[1]) => proveAdmin(current().config.server.admin.token, jwtAdmins() ? jwt : undefined)(given, codes);
  const consoleDeps: ConsoleDeps = {
    sessions: new ConsoleSessions(now),
    enabled: () => consoleEnabled(current().config.server.admin),
    prove,
    adminTokenDigest: () => {
      const token = current().config.server.admin.token;
      return token === '' ? undefined : createHash('sha256').update(token).digest();
    },
    jwtAdmins,
    throttle,
    audit,
    refused,
    now,
  };
  const bySession = consoleAuth(consoleDeps);
  const authorize: AdminAuth = async (request, code) => {
    const { server, auth } = current().config;
    // A call with no Authorization header but the console's cookie is the console's own (its CSRF and origin rules
    // apply); a guessed cookie cannot succeed (256 random bits), so a stale one is not counted as a failed login.
    const session = request.headers.authorization === undefined && sessionCookie(request) !== undefined;
    try {
      if (session && !consoleDeps.enabled()) {
        consoleDeps.sessions.clear();
        throw new GatewayError('PG_ADMIN_UNAUTHORIZED', { detail: 'the console is off; its sessions have ended' });
      }
      if (session) return await bySession(request, code);
      return await adminAuth(server.admin.token, auth !== undefined && server.admin.jwt ? jwt : undefined)(request, code);
    } catch (err) {
      if (err instanceof GatewayError && (err.status === 401 || err.status === 403)) await refused(request, err, !session);
      throw err;
    }
  };
  registerConsole(admin, consoleDeps);
  // Route body schemas are checked by permgate's own Ajv set-up (no coercion, no defaults, no field silently
  // dropped), and a body that fails one is the admin API's usual 400 PG_ADMIN_BAD_INPUT, naming the field.
  admin.setValidatorCompiler(({ schema }) => {
    const validate = compileSchema(schema);
    return (data: unknown) => (validate(data) ? true : { error: new GatewayError('PG_ADMIN_BAD_INPUT', { detail: bodyProblem(validate.errors ?? [], data) }) });
  });
  registerRevocationRoutes(admin, {
    revocations: deps.revocations,
    audit,
    authorize,
    maxLifetimeSeconds: () => Math.ceil((current().config.auth?.jwt.maxLifetime ?? 86_400_000) / 1000),
    now,
  });
  registerRbacRoutes(admin, {
    authorize,
    editor: new PolicyEditor(() => current().config.rbac, writableStore(rbac.store), rbac, { audit, revocations: deps.revocations, now }),
    authorizer: rbac,
    config: () => current().config.rbac,
    routes: () => current().loaded.routes,
    paths: () => current().config.server.paths,
    verify: (token) => current().verify(token),
    tokenRoles: () => current().config.auth?.jwt.claims.roles !== undefined,
    now,
  });
  registerReloadRoute(admin, { authorize, reload: deps.reload });
  registerStatusRoutes(admin, { authorize, readyz: readinessProbe(deps), metrics: deps.metrics, startedAt: now(), now, sessions: () => consoleDeps.sessions.size });
  registerRouteTableRoute(admin, { authorize, loaded: () => current().loaded, metrics: deps.metrics });
  registerAuditRoutes(admin, { audit, authorize });
  if (deps.coverage) registerCoverageRoutes(admin, { coverage: deps.coverage, authorize, routes: () => current().loaded.routes });
  registerUnusedGrantsRoute(admin, { authorize, authorizer: rbac, config: () => current().config.rbac, usage: deps.grantUsage, now });
  registerShadowRoutes(admin, { report: deps.shadowReport, authorize, shadowed: () => current().loaded.routes.routes.filter((route) => route.config.shadow.size > 0).map((route) => ({ route: route.pattern, stages: [...route.config.shadow] })) });
  return admin;
}
