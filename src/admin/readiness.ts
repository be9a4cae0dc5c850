// What /readyz answers (issue 12): whether this instance can serve its protected routes, from the same facts the
// stages decide by (check-revocation.ts, rbac-authorizer.ts), so readiness never says "ready" while every protected
// route answers 503.
//
// A protected route (not `auth: none`) is refused for store reasons when
//   - revocations cannot be known current and the route is sensitive or its onStoreDown is `deny`;
//   - RBAC cannot be known current and the route is sensitive (sensitive routes fail closed);
//   - RBAC cannot be known current and the store has been unreachable since start, or for longer than
//     `rbac.maxStaleness`: no compiled permissions are left to decide from, so every caller gets 503.
// A fleet primary (src/fleet/primary.ts) serves no data plane itself: its workers do. It is ready only while at
// least one worker is ready (its own rule, reported to the primary) and serving.
// The answer: 503 `draining` once shutdown began; 503 `unready` when there is a protected route and every one is
// refused, or when no worker of a fleet is ready; 200 `degraded` when the store is unreachable, some protected routes
// are refused (the others, public routes and allow-cached ones, are served: taking a whole fleet out of rotation
// over a Redis outage would refuse those too) or some workers are not ready; else 200 `ready`.
import type { OnStoreDown } from '../config/auth-types.js';

export type ReadinessStatus = 'ready' | 'degraded' | 'unready' | 'draining';

/** What readiness needs to know of one route. */
export interface RouteFacts {
  /** The pattern as written (the route's label everywhere). */
  readonly pattern: string;
  readonly public: boolean;
  readonly sensitive: boolean;
  /** The route's own onStoreDown; undefined: the revocation default. */
  readonly onStoreDown: OnStoreDown | undefined;
}

/** One worker of a fleet, as its primary knows it. */
export interface WorkerReadiness {
  readonly pid: number;
  /** Serving, and its own readiness (the rule below, run in the worker) said 200 within the last report window. */
  readonly ready: boolean;
  /** How many times its slot's worker was started again after dying. */
  readonly restarts: number;
}

export interface ReadinessFacts {
  readonly draining: boolean;
  /** A fleet primary's workers; undefined in a single process (and in a worker). */
  readonly workers?: readonly WorkerReadiness[];
  readonly storeReady: boolean;
  readonly routes: readonly RouteFacts[];
  /** Absent when the config checks no revocations (no `auth`). */
  readonly revocations: { readonly current: boolean; readonly onStoreDown: OnStoreDown } | undefined;
  readonly rbac: {
    readonly current: boolean;
    /** How long the store has been unreachable, in ms; Infinity when it never was reachable since start. */
    readonly unreachableFor: number;
    readonly maxStaleness: number;
  };
}

export type RefusalReason = 'revocations' | 'rbac' | 'rbac-stale';

export interface RefusedRoute {
  readonly route: string;
  /** revocations: not current; rbac: not current (sensitive route); rbac-stale: no usable compiled permissions. */
  readonly reason: RefusalReason;
}

export interface Readiness {
  readonly status: ReadinessStatus;
  /** Protected routes that answer 503 for store reasons right now. */
  readonly refused: readonly RefusedRoute[];
}

/** Why a protected route is refused for store reasons now, or undefined when it is served. */
export function refusalReason(route: RouteFacts, facts: Pick<ReadinessFacts, 'revocations' | 'rbac'>): RefusalReason | undefined {
  const { revocations, rbac } = facts;
  if (revocations !== undefined && !revocations.current && (route.sensitive || (route.onStoreDown ?? revocations.onStoreDown) === 'deny')) return 'revocations';
  if (rbac.current) return undefined;
  if (route.sensitive) return 'rbac';
  if (rbac.unreachableFor > rbac.maxStaleness) return 'rbac-stale';
  return undefined;
}

/**
 * @example
 * readiness({ draining: false, storeReady: false, routes: [{ pattern: '/api/**', public: false, sensitive: false,
 *   onStoreDown: undefined }], revocations: { current: false, onStoreDown: 'deny' },
 *   rbac: { current: false, unreachableFor: Infinity, maxStaleness: 30_000 } })
 * // → { status: 'unready', refused: [{ route: '/api/**', reason: 'revocations' }] }
 */
export function readiness(facts: ReadinessFacts): Readiness {
  const guarded = facts.routes.filter((route) => !route.public);
  const refused: RefusedRoute[] = [];
  for (const route of guarded) {
    const reason = refusalReason(route, facts);
    if (reason !== undefined) refused.push({ route: route.pattern, reason });
  }
  const { workers } = facts;
  const status: ReadinessStatus = facts.draining
    ? 'draining'
    : (guarded.length > 0 && refused.length === guarded.length) || (workers !== undefined && !workers.some((worker) => worker.ready))
      ? 'unready'
      : !facts.storeReady || refused.length > 0 || (workers !== undefined && !workers.every((worker) => worker.ready))
        ? 'degraded'
        : 'ready';
  return { status, refused };
}

/** The HTTP status /readyz answers with. */
export const readinessCode = (status: ReadinessStatus): 200 | 503 => (status === 'draining' || status === 'unready' ? 503 : 200);
