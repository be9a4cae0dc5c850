// Dynamic policy as read back from the store, made safe to compile. The admin API refuses bad patterns, but the store
// may still hold one: written before a bound existed, or by hand into Redis. Such a pattern must not stall or crash
// an instance at load (issue 10 §1), so it is never compiled as written. When in doubt, deny: a grant that does not
// parse grants nothing; a deny that does not parse denies a superset of what it could have meant.
import type { PermissionEntry, RoleDefinition, SubjectRecord } from './model.js';
import { PatternError, parsePermissionPattern } from './permission-pattern.js';

/** One stored pattern that was not compiled as written: where it is, the text (shortened), why, and what replaced it. */
export interface BadPattern {
  readonly where: string;
  readonly pattern: string;
  readonly reason: string;
  /** `undefined`: dropped (a grant); otherwise the deny compiled in its place. */
  readonly replacedBy: string | undefined;
}

export type BadPatternReport = (bad: BadPattern) => void;

const SHOWN = 100;

function shown(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  return text.length > SHOWN ? `${text.slice(0, SHOWN)}…(${text.length} chars)` : text;
}

function problem(value: unknown): string | undefined {
  try {
    parsePermissionPattern(value as string);
    return undefined;
  } catch (err) {
    if (err instanceof PatternError) return err.message.length > 200 ? err.message.slice(0, 200) + '…' : err.message;
    return 'not a permission pattern';
  }
}

/**
 * A deny that cannot be compiled as written, widened: each comma list becomes `*` (a superset of the codes it named,
 * at the cost of one branch); anything else that does not parse becomes `*`, which denies every code but the admin
 * namespace.
 */
export function widenDeny(value: unknown): string {
  if (typeof value === 'string') {
    const widened = value
      .split(':')
      .map((part) => (part.includes(',') ? '*' : part))
      .join(':');
    if (problem(widened) === undefined) return widened;
  }
  return '*';
}

function safeList(where: string, list: unknown, effect: 'grant' | 'deny', report: BadPatternReport): readonly string[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    report({ where: `${where} ${effect}s`, pattern: shown(list), reason: 'not a list', replacedBy: effect === 'deny' ? '*' : undefined });
    return effect === 'deny' ? ['*'] : [];
  }
  let out: string[] | undefined;
  list.forEach((pattern: unknown, i) => {
    const reason = problem(pattern);
    if (reason === undefined) return void out?.push(pattern as string);
    out ??= list.slice(0, i) as string[];
    const replacedBy = effect === 'deny' ? widenDeny(pattern) : undefined;
    report({ where: `${where} ${effect}s[${i}]`, pattern: shown(pattern), reason, replacedBy });
    if (replacedBy !== undefined) out.push(replacedBy);
  });
  return out ?? (list as string[]);
}

function safeEntries(where: string, list: readonly PermissionEntry[] | undefined, effect: 'grant' | 'deny', report: BadPatternReport): readonly PermissionEntry[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    report({ where: `${where} ${effect}s`, pattern: shown(list), reason: 'not a list', replacedBy: effect === 'deny' ? '*' : undefined });
    return effect === 'deny' ? [{ code: '*' }] : [];
  }
  let out: PermissionEntry[] | undefined;
  list.forEach((entry, i) => {
    const code: unknown = entry?.code;
    const reason = problem(code);
    if (reason === undefined) return void out?.push(entry);
    out ??= list.slice(0, i);
    const replacedBy = effect === 'deny' ? widenDeny(code) : undefined;
    report({ where: `${where} ${effect}s[${i}]`, pattern: shown(code), reason, replacedBy });
    if (replacedBy !== undefined) out.push({ ...entry, code: replacedBy });
  });
  return out ?? list;
}

/** A stored role whose every grant and deny compiles at bounded cost. Returns `role` itself when nothing is wrong. */
export function safeRole(role: RoleDefinition, report: BadPatternReport): RoleDefinition {
  const where = `role ${shown(role.name)}`;
  const grants = safeList(where, role.grants, 'grant', report);
  const denies = safeList(where, role.denies, 'deny', report);
  const inherits = Array.isArray(role.inherits) ? role.inherits : [];
  // A conditional grant is a grant: one that does not parse grants nothing (its condition is checked when compiled).
  const conditionalGrants = role.conditionalGrants === undefined ? undefined : (safeEntries(where, role.conditionalGrants as PermissionEntry[], 'grant', report) as RoleDefinition['conditionalGrants']);
  if (grants === role.grants && denies === role.denies && inherits === role.inherits && conditionalGrants === role.conditionalGrants) return role;
  return { ...role, grants, denies, inherits, ...(conditionalGrants === undefined ? {} : { conditionalGrants }) };
}

/** As `safeRole`, for every role of a stored map. Returns `roles` itself when nothing is wrong. */
export function safeRoles(roles: ReadonlyMap<string, RoleDefinition>, report: BadPatternReport): ReadonlyMap<string, RoleDefinition> {
  let out: Map<string, RoleDefinition> | undefined;
  for (const [name, role] of roles) {
    if (CLEAN.has(role)) continue;
    const safe =
      role !== null && typeof role === 'object'
        ? safeRole(role, report)
        : (report({ where: `role ${shown(name)}`, pattern: shown(role), reason: 'not a role', replacedBy: undefined }), { name, grants: [], denies: [], inherits: [] });
    if (safe !== role) (out ??= new Map(roles)).set(name, safe);
    else CLEAN.add(role);
  }
  return out ?? roles;
}

/**
 * Role objects found clean, not parsed again: every role change reloads every role, and parsing a million patterns
 * each time took 1.3 s (issue 16, bench/rbac-sql.ts role change); a source that keeps an unchanged role's object (the
 * SQL source, sql-roles.ts) has only the changed ones parsed. Role objects are never changed in place; one with a
 * problem is not kept, so its problem is reported at every load, as before.
 */
const CLEAN = new WeakSet<object>();

/** A stored subject record whose every grant and deny compiles at bounded cost. Returns `record` itself when nothing is wrong. */
export function safeSubject(subject: string, record: SubjectRecord | undefined, report: BadPatternReport): SubjectRecord | undefined {
  if (record === undefined) return undefined;
  const where = `subject ${shown(subject)}`;
  if (record === null || typeof record !== 'object') {
    report({ where, pattern: shown(record), reason: 'not a subject record', replacedBy: '*' });
    return { roles: [], grants: [], denies: [{ code: '*' }] };
  }
  const grants = safeEntries(where, record.grants, 'grant', report);
  const denies = safeEntries(where, record.denies, 'deny', report);
  const roles = Array.isArray(record.roles) ? record.roles : [];
  if (grants === record.grants && denies === record.denies && roles === record.roles) return record;
  return { roles, grants, denies };
}
