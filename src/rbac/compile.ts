// A subject's effective permissions, compiled once: all grants in one trie, all denies in another. A check is two
// trie walks per required code, whatever the number of roles and grants behind them.
import type { PermissionCode } from '../routing/permission-template.js';
import { PermissionTrie } from './permission-trie.js';
import type { CollectedSources } from './sources.js';

export interface CompiledPermissions {
  readonly grants: PermissionTrie;
  readonly denies: PermissionTrie;
  readonly roles: ReadonlySet<string>;
  /** Milliseconds since the epoch when a binding or grant in it expires; Infinity when none does. */
  readonly validUntil: number;
}

export type Decision =
  | { readonly allowed: true }
  /** `missing`: no grant covers the code; `denied`: a deny covers it (a deny always beats a grant). */
  | { readonly allowed: false; readonly code: PermissionCode; readonly reason: 'missing' | 'denied' };

const ALLOWED: Decision = Object.freeze({ allowed: true });

export function compile(collected: CollectedSources): CompiledPermissions {
  const grants = new PermissionTrie();
  const denies = new PermissionTrie();
  for (const source of collected.sources) {
    for (const pattern of source.grants) grants.add(pattern);
    for (const pattern of source.denies) denies.add(pattern);
  }
  return { grants, denies, roles: collected.roles, validUntil: collected.validUntil };
}

export function decide(compiled: CompiledPermissions, codes: readonly PermissionCode[], mode: 'all' | 'any'): Decision {
  let refusal: Decision | undefined;
  for (const code of codes) {
    const reason = compiled.denies.covers(code) ? 'denied' : compiled.grants.covers(code) ? undefined : 'missing';
    if (reason === undefined) {
      if (mode === 'any') return ALLOWED;
      continue;
    }
    if (mode === 'all') return { allowed: false, code, reason };
    // For `any`, report the first deny if there is one (it explains more than a missing grant), else the first code.
    if (refusal === undefined || (reason === 'denied' && !refusal.allowed && refusal.reason === 'missing')) refusal = { allowed: false, code, reason };
  }
  return refusal ?? ALLOWED;
}
