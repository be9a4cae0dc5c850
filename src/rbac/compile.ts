// A subject's effective permissions, compiled: one grant trie and one deny trie per role it is bound to (each role
// compiled once with everything it inherits, and shared by all its holders), plus one pair for its direct grants.
// A check walks those few tries per code part; its cost depends on the code and on how many roles are bound, never
// on how many grants they hold. Sharing role tries is what keeps 100,000 subjects of 1,000 large roles in memory
// (bench/RESULTS.md: a subject copy of its roles' grants cost ~460 KiB each).
//
// Conditional grants (`when`) are kept apart, one trie per condition: a request pays for them only when no
// unconditional grant covers its code and a conditional trie does, and a policy without conditions pays one length
// check. `{subject}` grants are filled in here, per subject, into the subject's own trie.
import type { PermissionCode } from '../routing/permission-template.js';
import { allOf, type CompiledCondition, type RequestFacts } from './condition.js';
import { forSubject, namesSubject, SUBJECT_PART } from './permission-pattern.js';
import { PermissionTrie } from './permission-trie.js';
import type { RoleGraph } from './role-graph.js';
import type { CollectedSources } from './sources.js';

/** Grants that hold only while `when` does. */
export interface ConditionalGrants {
  readonly grants: PermissionTrie;
  readonly when: CompiledCondition;
}

export interface CompiledPermissions {
  readonly grants: readonly PermissionTrie[];
  readonly denies: readonly PermissionTrie[];
  readonly conditional: readonly ConditionalGrants[];
  /** Every role held in this tenant (inherited ones included, conditional ones too): what a change to a role is matched against. */
  readonly roles: ReadonlySet<string>;
  /** The roles held without a condition, as a list made once: what the upstream is told held (identity headers, `decision:roles`). */
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
  const conditional: ConditionalGrants[] = [];
  const subject = collected.subject;
  // The subject's own tries: direct grants and denies, and every `{subject}` grant filled in with its name.
  const own = new PermissionTrie();
  const ownDenies = new PermissionTrie();
  const ownConditional = new Map<CompiledCondition, PermissionTrie>();
  const grant = (pattern: string, when: CompiledCondition | undefined): void => {
    const filled = namesSubject(pattern) ? forSubject(pattern, subject) : pattern;
    if (filled === undefined) return; // a name that cannot be a code part holds no `{subject}` grant
    if (when === undefined) return own.add(filled);
    let trie = ownConditional.get(when);
    if (trie === undefined) ownConditional.set(when, (trie = new PermissionTrie()));
    trie.add(filled);
  };
  for (const pattern of collected.direct.grants) grant(pattern, undefined);
  for (const { pattern, when } of collected.direct.conditional) grant(pattern, when);
  // A deny naming a subject that cannot be a code part denies that part whatever it is (when in doubt, deny).
  const deny = (pattern: string): void => ownDenies.add(namesSubject(pattern) ? (forSubject(pattern, subject) ?? pattern.replaceAll(SUBJECT_PART, '*')) : pattern);
  for (const pattern of collected.direct.denies) deny(pattern);
  // A bound role that another bound role already inherits adds nothing of its own.
  const bound = collected.bound;
  for (const role of bound) {
    if (bound.some((other) => other !== role && graph.expand(other).includes(role))) continue;
    const compiled = graph.compiled(role);
    if (compiled.grants.size > 0) grants.push(compiled.grants);
    if (compiled.denies.size > 0) denies.push(compiled.denies);
    for (const named of compiled.subjectGrants) grant(named.pattern, named.when);
    for (const pattern of compiled.subjectDenies) deny(pattern);
    conditional.push(...compiled.conditional);
  }
  // Roles bound under a condition: their grants join the conditional ones, their denies hold always.
  for (const { role, when } of collected.boundWhen) {
    const compiled = graph.compiled(role);
    if (compiled.grants.size > 0) conditional.push({ grants: compiled.grants, when });
    if (compiled.denies.size > 0) denies.push(compiled.denies);
    for (const named of compiled.subjectGrants) grant(named.pattern, named.when === undefined ? when : allOf(when, named.when));
    for (const pattern of compiled.subjectDenies) deny(pattern);
    for (const trie of compiled.conditional) conditional.push({ grants: trie.grants, when: allOf(when, trie.when) });
  }
  if (own.size > 0) grants.push(own);
  if (ownDenies.size > 0) denies.push(ownDenies);
  for (const [when, trie] of ownConditional) conditional.push({ grants: trie, when });
  return { grants, denies, conditional, roles: collected.roles, heldRoles: [...collected.held], validUntil: collected.validUntil };
}

function coveredBy(tries: readonly PermissionTrie[], code: string): boolean {
  for (let i = 0; i < tries.length; i++) if (tries[i]!.covers(code)) return true;
  return false;
}

/** Whether a conditional grant covers `code` and its condition holds for this request (checked in that order). */
function conditionallyCovered(tries: readonly ConditionalGrants[], code: string, facts: RequestFacts, now: number): boolean {
  for (let i = 0; i < tries.length; i++) {
    const entry = tries[i]!;
    if (entry.grants.covers(code) && entry.when.test(facts, now)) return true;
  }
  return false;
}

/** `facts`: what conditions look at; without them no conditional grant holds. */
export function decide(
  compiled: CompiledPermissions,
  codes: readonly PermissionCode[],
  mode: 'all' | 'any',
  facts?: RequestFacts,
  now = 0,
): Decision {
  let refusal: Decision | undefined;
  const conditional = facts !== undefined && compiled.conditional.length > 0;
  for (const code of codes) {
    const reason = coveredBy(compiled.denies, code)
      ? 'denied'
      : coveredBy(compiled.grants, code) || (conditional && conditionallyCovered(compiled.conditional, code, facts, now))
        ? undefined
        : 'missing';
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
