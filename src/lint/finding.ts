// What lint reports: one problem of the route map or the policy, its rule, how bad it is and where it stands.

/** In the config file (line and key path, as ConfigError names them) or in the RBAC store (`subject alice`). */
export type FindingPlace =
  | { readonly kind: 'config'; readonly file: string; readonly line: number; readonly column: number; readonly keyPath: string }
  | { readonly kind: 'store'; readonly record: string };

export type LintRule =
  | 'route-shadowed'
  | 'routes-differ-only-in-parameter-names'
  | 'code-never-granted'
  | 'grant-matches-no-route'
  | 'role-held-by-nobody'
  | 'role-denies-cancel-grants'
  | 'store-unreachable'
  | 'upstream-tls-unverified';

export interface Finding {
  /** `error`: the map does not do what it says (lint exits 1); `warning`: probably a mistake, never blocks. */
  readonly severity: 'error' | 'warning';
  readonly rule: LintRule;
  readonly message: string;
  readonly place: FindingPlace;
}

/** `file:line: severity rule: message`, or `store: subject alice: …` for store data. */
export function findingLine(finding: Finding): string {
  const place = finding.place;
  const where = place.kind === 'config' ? `${place.file}:${place.line}: ${place.keyPath}` : `store: ${place.record}`;
  return `${where}: ${finding.severity} ${finding.rule}: ${finding.message}`;
}
