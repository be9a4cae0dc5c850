// Turns the `shadow` section and each route's `shadow` key into the stages a route shadows, and refuses the
// combinations that would not mean what they say: authenticate shadowed while authorize enforces (every request
// without a verified caller would then be refused by authorize), and a sensitive route shadowed at all.
import type { Checker, KeyPath } from './checker.js';
import { NO_SHADOW, SHADOW_STAGES, type ShadowConfig, type ShadowStage } from './shadow-types.js';

/** `true`, `false` or a list, as the schema accepted it; undefined when the key is absent or of the wrong kind. */
function stagesOf(value: unknown): ReadonlySet<ShadowStage> | undefined {
  if (value === true) return new Set(SHADOW_STAGES);
  if (value === false) return NO_SHADOW;
  if (Array.isArray(value)) return new Set(value.filter((s): s is ShadowStage => (SHADOW_STAGES as readonly unknown[]).includes(s)));
  return undefined;
}

function checkPairing(c: Checker, path: KeyPath, stages: ReadonlySet<ShadowStage>): void {
  if (stages.has('authenticate') && !stages.has('authorize')) {
    c.fail(path, 'shadows authenticate but not authorize: a request nobody verified would then be refused by authorize every time', 'shadow both: [authenticate, authorize] (or true)');
  }
}

export function checkShadow(c: Checker, s: { stages?: unknown; auditPerSecond?: unknown; reportEntries?: unknown }): ShadowConfig {
  const stages = stagesOf(s.stages) ?? NO_SHADOW;
  checkPairing(c, ['shadow', 'stages'], stages);
  return { stages, auditPerSecond: s.auditPerSecond as number, reportEntries: s.reportEntries as number };
}

/**
 * The stages route `index` shadows: its own `shadow`, else the section's. A public route has nobody to authenticate
 * or authorize, so only its rate limits can be shadowed (named explicitly, anything else is an error).
 */
export function routeShadow(c: Checker, index: number, own: unknown, defaults: ReadonlySet<ShadowStage>, route: { auth: string; sensitive: boolean }): ReadonlySet<ShadowStage> {
  const path: KeyPath = ['routes', index, 'shadow'];
  const written = stagesOf(own);
  if (written !== undefined) checkPairing(c, path, written);
  const stages = written ?? defaults;
  if (stages.size === 0) return NO_SHADOW;
  if (route.sensitive) {
    return written !== undefined
      ? (c.fail(path, 'a sensitive route is never shadowed: it fails closed whatever else is configured', 'remove `shadow`, or `sensitive: true`') ?? NO_SHADOW)
      : (c.fail(['routes', index], 'a sensitive route is never shadowed, and `shadow.stages` would shadow this one', 'set `shadow: false` on it') ?? NO_SHADOW);
  }
  if (route.auth === 'none') {
    if (written !== undefined && Array.isArray(own) && (written.has('authenticate') || written.has('authorize'))) {
      c.fail(path, 'a public route (auth: none) has nobody to authenticate or authorize', 'shadow only rate-limit here, or require authentication');
    }
    return stages.has('rate-limit') ? new Set(['rate-limit']) : NO_SHADOW;
  }
  return stages;
}
