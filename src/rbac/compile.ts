// A subject's effective permissions, compiled: the ids of the roles it holds (inherited ones included) in the role
// graph's GrantIndex, shared by every subject, plus its own grants and denies (OwnPatterns). A check is a lookup of
// the code in the index and a scan of a few ids, then the subject's own patterns; its cost depends on the
// code, never on how many grants the roles hold or how many roles there are. Sharing the roles' grants is what keeps
// 100,000 subjects of 1,000 large roles in memory (bench/RESULTS.md: a subject copy of its roles' grants cost ~460 KiB
// each), and one index rather than a trie per role is what keeps a check to a few cache misses at that size.
//
// Conditional grants (`when`) are kept apart, one trie per condition: a request pays for them only when no
// unconditional grant covers its code and a conditional trie does, and a policy without conditions pays one length
// check. `{subject}` grants are filled in here, per subject, among the subject's own patterns.
import type { PermissionCode } from '../routing/permission-template.js';
import { allOf, type CompiledCondition, type RequestFacts } from './condition.js';
import type { GrantIndex } from './grant-index.js';
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
  /** The roles' grants and denies, shared (role-graph.ts). */
  readonly index: GrantIndex;
  /** Roles held without a condition, with all they inherit: their grants and denies hold. Sorted index ids. */
  readonly grantIds: Int32Array;
  /** Of those and the roles bound under a condition (whose denies hold always), the ones with denies. Sorted index ids. */
  readonly denyIds: Int32Array;
  /** The subject's own grants (direct, scope codes, `{subject}` grants filled in) and denies. */
  readonly grants: OwnPatterns;
  readonly denies: OwnPatterns;
  readonly conditional: readonly ConditionalGrants[];
  /** Every role held in this tenant (inherited ones included, conditional ones too): what a change to a role is matched against. */
  readonly roles: ReadonlySet<string>;
  /** The roles held without a condition, as a list made once: what the upstream is told held (identity headers, `decision:roles`). */
  readonly heldRoles: readonly string[];
  /** Milliseconds since the epoch when a binding or grant in it expires; Infinity when none does. */
  readonly validUntil: number;
}

/**
 * A subject's own patterns. Most are a few concrete codes (a direct grant, a scope code, a filled-in `{subject}`
 * grant): kept in a small array, so a check compares a few strings near the compiled permissions rather than
 * reading a Set's table elsewhere in the heap. The rest (and any past a few) are in a trie.
 */
export interface OwnPatterns {
  readonly codes: readonly string[];
  readonly wild: PermissionTrie | undefined;
}

const OWN_SCAN_MAX = 8;
const NONE: OwnPatterns = { codes: [], wild: undefined };

function ownPatterns(patterns: readonly string[]): OwnPatterns {
  if (patterns.length === 0) return NONE;
  const codes = new Set<string>();
  let wild: PermissionTrie | undefined;
  for (const pattern of patterns) {
    if (CONCRETE.test(pattern)) codes.add(pattern);
    else (wild ??= new PermissionTrie()).add(pattern);
  }
  // A subject with many direct grants is one case a scan would make slow: past a few, the trie's Set.
  if (codes.size > OWN_SCAN_MAX) {
    for (const code of codes) (wild ??= new PermissionTrie()).add(code);
    codes.clear();
  }
  return { codes: [...codes], wild };
}

/** A pattern that is one code: no `*`, no list (permission-pattern.ts checked the parts when it was stored). */
const CONCRETE = /^[^*,]+$/;

function ownCovers(own: OwnPatterns, code: string): boolean {
  const codes = own.codes;
  for (let i = 0; i < codes.length; i++) if (codes[i] === code) return true;
  return own.wild !== undefined && own.wild.covers(code);
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
  const conditional: ConditionalGrants[] = [];
  const subject = collected.subject;
  // The subject's own patterns: direct grants and denies, and every `{subject}` grant filled in with its name.
  const own: string[] = [];
  const ownDenies: string[] = [];
  const ownConditional = new Map<CompiledCondition, PermissionTrie>();
  const grant = (pattern: string, when: CompiledCondition | undefined): void => {
    const filled = namesSubject(pattern) ? forSubject(pattern, subject) : pattern;
    if (filled === undefined) return; // a name that cannot be a code part holds no `{subject}` grant
    if (when === undefined) return void own.push(filled);
    let trie = ownConditional.get(when);
    if (trie === undefined) ownConditional.set(when, (trie = new PermissionTrie()));
    trie.add(filled);
  };
  for (const pattern of collected.direct.grants) grant(pattern, undefined);
  for (const { pattern, when } of collected.direct.conditional) grant(pattern, when);
  // A deny naming a subject that cannot be a code part denies that part whatever it is (when in doubt, deny).
  const deny = (pattern: string): void => void ownDenies.push(namesSubject(pattern) ? (forSubject(pattern, subject) ?? pattern.replaceAll(SUBJECT_PART, '*')) : pattern);
  for (const pattern of collected.direct.denies) deny(pattern);
  // A bound role that another bound role already inherits adds nothing of its own.
  const bound = collected.bound;
  for (const role of bound) {
    if (bound.some((other) => other !== role && graph.expand(other).includes(role))) continue;
    const compiled = graph.compiled(role);
    for (const named of compiled.subjectGrants) grant(named.pattern, named.when);
    for (const pattern of compiled.subjectDenies) deny(pattern);
    conditional.push(...compiled.conditional);
  }
  const grantIds = graph.heldIds(bound);
  // Roles bound under a condition: their grants join the conditional ones, their denies hold always.
  const boundWhen = collected.boundWhen;
  const denyIds = graph.index.denying(boundWhen.length === 0 ? grantIds : graph.heldIds([...bound, ...boundWhen.map((binding) => binding.role)]));
  for (const { role, when } of boundWhen) {
    const compiled = graph.compiled(role);
    const tries = graph.tries(role);
    if (tries.grants.size > 0) conditional.push({ grants: tries.grants, when });
    for (const named of compiled.subjectGrants) grant(named.pattern, named.when === undefined ? when : allOf(when, named.when));
    for (const pattern of compiled.subjectDenies) deny(pattern);
    for (const trie of compiled.conditional) conditional.push({ grants: trie.grants, when: allOf(when, trie.when) });
  }
  const grants = ownPatterns(own);
  const denies = ownPatterns(ownDenies);
  for (const [when, trie] of ownConditional) conditional.push({ grants: trie, when });
  return { index: graph.index, grantIds, denyIds, grants, denies, conditional, roles: collected.roles, heldRoles: [...collected.held], validUntil: collected.validUntil };
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
    const reason =
      compiled.index.denied(code, compiled.denyIds) || ownCovers(compiled.denies, code)
        ? 'denied'
        : compiled.index.granted(code, compiled.grantIds) || ownCovers(compiled.grants, code) || (conditional && conditionallyCovered(compiled.conditional, code, facts, now))
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
