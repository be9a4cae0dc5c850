// `permgate diff`, the computation: what reloading NEW in place of what runs (a file, or a gateway's admin API) would
// change in the route map, the rate-limit defaults, the roles and subjects, and who may do what.
import type { LoadedConfig } from '../config/load.js';
import type { RateLimitConfig } from '../config/rate-limit-types.js';
import { diffAccess, type AccessChange } from './access-diff.js';
import type { PolicySide } from './policy-side.js';
import { diffRbac, type RbacDiff } from './rbac-diff.js';
import { diffRoutes, rateText, recodedMethods, type RouteDiff, type SettingChange } from './route-diff.js';

export interface DiffSide {
  /** What the side is, for the output: `old.yaml`, `http://127.0.0.1:9901 (routes from gateway.yaml)`. */
  readonly label: string;
  /** The config, when known: for a gateway, the file it names, if this machine can read it. */
  readonly loaded: LoadedConfig | undefined;
  readonly policy: PolicySide;
  /** Why the routes of this side are not known, when `loaded` is absent. */
  readonly note?: string | undefined;
}

export interface ConfigDiff {
  readonly before: string;
  readonly after: string;
  /** Null when the old route map is not known (`notes` says why): routes and rate limits were not compared. */
  readonly routes: RouteDiff | null;
  /** `rateLimits` defaults, per dimension, and the exempt roles. */
  readonly rateLimits: readonly SettingChange[];
  /** Settings that decide what a token can hold by itself: `auth.jwt.claims.roles`, `rbac.tokenScopes`. */
  readonly tokenTrust: readonly SettingChange[];
  readonly rbac: RbacDiff;
  readonly access: readonly AccessChange[];
  readonly notes: readonly string[];
  /** Every added, removed or changed item above; 0: the reload changes nothing this diff can see. */
  readonly changes: number;
}

function rateLimitSettings(config: RateLimitConfig | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const [dimension, rate] of config?.defaults ?? []) out.set(dimension, rateText(rate));
  if (config !== undefined && config.exemptRoles.length > 0) out.set('exemptRoles', [...config.exemptRoles].sort().join(', '));
  return out;
}

function diffRateLimits(before: RateLimitConfig | undefined, after: RateLimitConfig | undefined): SettingChange[] {
  const a = rateLimitSettings(before);
  const b = rateLimitSettings(after);
  const keys = [...new Set([...a.keys(), ...b.keys()])];
  return keys.filter((k) => a.get(k) !== b.get(k)).map((key) => ({ key, before: a.get(key) ?? '(none)', after: b.get(key) ?? '(none)' }));
}

/** A token's roles count only with a roles claim mapped, its scope codes only with `rbac.tokenScopes`. */
function diffTokenTrust(before: LoadedConfig, after: LoadedConfig): SettingChange[] {
  const of = (loaded: LoadedConfig): Record<string, string> => ({
    'auth.jwt.claims.roles': loaded.config.auth?.jwt.claims.roles ?? '(unset: token roles count for nothing)',
    'rbac.tokenScopes': String(loaded.config.rbac.tokenScopes),
  });
  const a = of(before);
  const b = of(after);
  return Object.keys(a).filter((k) => a[k] !== b[k]).map((key) => ({ key, before: a[key]!, after: b[key]! }));
}

export function diffConfigs(before: DiffSide, after: DiffSide & { readonly loaded: LoadedConfig }, now: number): ConfigDiff {
  const old = before.loaded;
  const caseInsensitive = [old?.config.server.paths.caseInsensitive ?? false, after.loaded.config.server.paths.caseInsensitive] as const;
  const routes = old === undefined ? null : diffRoutes(old.routes, after.loaded.routes, { caseInsensitive });
  const recoded = old === undefined ? [] : recodedMethods(old.routes, after.loaded.routes, { caseInsensitive });
  const rateLimits = old === undefined ? [] : diffRateLimits(old.config.rateLimits, after.loaded.config.rateLimits);
  const tokenTrust = old === undefined ? [] : diffTokenTrust(old, after.loaded);
  const rbac = diffRbac(before.policy, after.policy, now);
  const access = diffAccess({ side: before.policy, routes: old?.routes }, { side: after.policy, routes: after.loaded.routes }, recoded, now);
  const count = (d: { added: readonly unknown[]; removed: readonly unknown[]; changed: readonly unknown[] }): number => d.added.length + d.removed.length + d.changed.length;
  const changes = (routes === null ? 0 : count(routes)) + rateLimits.length + tokenTrust.length + count(rbac.roles) + count(rbac.subjects) + access.length;
  const notes = [before.note, after.note].filter((n): n is string => n !== undefined);
  return { before: before.label, after: after.label, routes, rateLimits, tokenTrust, rbac, access, notes, changes };
}
