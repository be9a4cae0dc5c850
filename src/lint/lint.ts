// The lint entry: runs every rule over a loaded config (and the store's policy when read) and returns what they found,
// errors first, each group in file order.
import type { LoadedConfig } from '../config/load.js';
import type { Finding } from './finding.js';
import { policyView, type StoredPolicy } from './policy-view.js';
import { codesNeverGranted, grantsMatchingNoRoute, rolesHeldByNobody, rolesWhoseDeniesCancelGrants } from './rbac-findings.js';
import { routesDifferingOnlyInParameterNames, shadowedRoutes } from './route-findings.js';
import { unverifiedUpstreams } from './upstream-findings.js';

/** `stored`: the RBAC store's roles and subjects; absent, only the config is linted. */
export function lintConfig(loaded: LoadedConfig, stored?: StoredPolicy): Finding[] {
  const view = policyView(loaded, stored);
  const findings = [
    ...shadowedRoutes(loaded),
    ...routesDifferingOnlyInParameterNames(loaded),
    ...codesNeverGranted(loaded, view),
    ...grantsMatchingNoRoute(loaded, view),
    ...rolesHeldByNobody(loaded, view),
    ...rolesWhoseDeniesCancelGrants(loaded, view),
    ...unverifiedUpstreams(loaded),
  ];
  const rank = (f: Finding): number => (f.severity === 'error' ? 0 : 1);
  const line = (f: Finding): number => (f.place.kind === 'config' ? f.place.line : Number.MAX_SAFE_INTEGER);
  return findings.sort((a, b) => rank(a) - rank(b) || line(a) - line(b));
}
