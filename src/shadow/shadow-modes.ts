// Which journey stages each shadowable name of the config covers, and each route's stage modes, prepared at load:
// the journey runner looks a route's modes up only when a stage refuses, so the enforce path pays nothing.
import type { ShadowStage } from '../config/shadow-types.js';
import type { StageMode } from '../pipeline/stage.js';
import type { CompiledRoute } from '../routing/route-table.js';

/**
 * `authenticate` covers the revocation check (a revoked token is an authentication failure); `rate-limit` covers the
 * per-IP guard that runs before authentication (the same budgets, checked early).
 */
export const JOURNEY_STAGES: Readonly<Record<ShadowStage, readonly string[]>> = {
  authenticate: ['authenticate', 'check-revocation'],
  'rate-limit': ['guard-ip', 'rate-limit'],
  authorize: ['authorize'],
};

/** The journey stage names a route's shadow set covers. */
export function journeyStagesOf(stages: ReadonlySet<ShadowStage>): Set<string> {
  const names = new Set<string>();
  for (const stage of stages) for (const name of JOURNEY_STAGES[stage]) names.add(name);
  return names;
}

/**
 * The modes of every route that shadows something, on top of the journey's own `modes` (all enforce, unless a test
 * shadows stages gateway-wide); routes that shadow nothing are left out and use `modes`.
 */
export function routeModes(stageNames: readonly string[], modes: readonly StageMode[], routes: readonly CompiledRoute[]): Map<CompiledRoute, readonly StageMode[]> {
  const byRoute = new Map<CompiledRoute, readonly StageMode[]>();
  for (const route of routes) {
    if (route.config.shadow.size === 0) continue;
    const names = journeyStagesOf(route.config.shadow);
    byRoute.set(route, stageNames.map((name, i) => (names.has(name) ? 'shadow' : modes[i]!)));
  }
  return byRoute;
}
