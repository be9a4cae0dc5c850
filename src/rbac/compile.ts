// A subject's effective permissions, compiled: one grant trie and one deny trie per role it is bound to (each role
// compiled once with everything it inherits, and shared by all its holders), plus one pair for its direct grants.
// A check walks those few tries per code part; its cost depends on the code and on how many roles are bound, never
// on how many grants they hold. Sharing role tries is what keeps 100,000 subjects of 1,000 large roles in memory
// (bench/RESULTS.md: a subject copy of its roles' grants cost ~460 KiB each).
import type { PermissionCode } from '../routing/permission-template.js';
import { PermissionTrie } from './permission-trie.js';
import type { RoleGraph } from './role-graph.js';
import type { CollectedSources } from './sources.js';

export interface CompiledPermissions {
  readonly grants: readonly PermissionTrie[];
  readonly denies: readonly PermissionTrie[];
  /** Every role held in this tenant (inherited ones included): what a change to a role is matched against. */
  readonly roles: ReadonlySet<string>;
  /** The same roles as a list, made once: what the upstream is told held (identity headers, `decision:roles`). */
  readonly heldRoles: readonly string[];
  /** Milliseconds since the epoch when a binding or grant in it expires; Infinity when none does. */
  readonly validUntil: number;
}

export type Decision =
  /**
   * `roles`: the roles that held for this subject in the decided tenant; `codes`: the codes the request was
   * authorized for (every required one for `all`; the one that held for `any`).
   */
  | { readonly allowed: true; readonly roles: readonly string[]; readonly codes: readonly PermissionCode[] }
  /** `missing`: no grant covers the code; `denied`: a deny covers it (a deny always beats a grant). */
  | { readonly allowed: false; readonly code: PermissionCode; readonly reason: 'missing' | 'denied' };

export function compile(collected: CollectedSources, graph: RoleGraph): CompiledPermissions {
  const grants: PermissionTrie[] = [];
  const denies: PermissionTrie[] = [];
  const add = (g: PermissionTrie, d: PermissionTrie): void => {
    if (g.size > 0) grants.push(g);
    if (d.size > 0) denies.push(d);
  };
  if (collected.direct.grants.length + collected.direct.denies.length > 0) {
    const g = new PermissionTrie();
    const d = new PermissionTrie();
    for (const pattern of collected.direct.grants) g.add(pattern);
    for (const pattern of collected.direct.denies) d.add(pattern);
    add(g, d);
  }
  // A bound role that another bound role already inherits adds nothing of its own.
  const bound = collected.bound;
  for (const role of bound) {
    if (bound.some((other) => other !== role && graph.expand(other).includes(role))) continue;
    const compiled = graph.compiled(role);
    add(compiled.grants, compiled.denies);
  }
  return { grants, denies, roles: collected.roles, heldRoles: [...collected.roles], validUntil: collected.validUntil };
}

function coveredBy(tries: readonly PermissionTrie[], code: string): boolean {
  for (let i = 0; i < tries.length; i++) if (tries[i]!.covers(code)) return true;
  return false;
}

export function decide(compiled: CompiledPermissions, codes: readonly PermissionCode[], mode: 'all' | 'any'): Decision {
  let refusal: Decision | undefined;
  for (const code of codes) {
    const reason = coveredBy(compiled.denies, code) ? 'denied' : coveredBy(compiled.grants, code) ? undefined : 'missing';
    if (reason === undefined) {
      if (mode === 'any') return { allowed: true, roles: compiled.heldRoles, codes: [code] };
      continue;
    }
    if (mode === 'all') return { allowed: false, code, reason };
    // For `any`, report the first deny if there is one (it explains more than a missing grant), else the first code.
    if (refusal === undefined || (reason === 'denied' && !refusal.allowed && refusal.reason === 'missing')) refusal = { allowed: false, code, reason };
  }
  return refusal ?? { allowed: true, roles: compiled.heldRoles, codes };
}
