// What a reload would change in the policy as written: roles added, removed or changed (grants, denies, inherits;
// config and store roles together, as the gateway merges them) and the config's subjects' bindings and direct grants.
// The store's subjects are the same on both sides, so only their effective access can change (access-diff.ts).
import type { RoleDefinition, Scope, SubjectRecord } from '../rbac/model.js';
import type { PolicySide } from './policy-side.js';

/** One line of a role or subject that is on one side only: `grant order:read`, `role editor in tenant t1`. */
export interface EntryChange {
  readonly change: '+' | '-';
  readonly entry: string;
}

export interface NamedChange {
  readonly name: string;
  /** Where the definition in force comes from after the reload (before it, for a removed one). */
  readonly source: 'config' | 'store';
  /** Where it came from before, when that differs (a config role now shadowing a store role of its name). */
  readonly was?: 'config' | 'store' | undefined;
  readonly entries: readonly EntryChange[];
}

export interface RbacDiff {
  readonly roles: { readonly added: readonly NamedChange[]; readonly removed: readonly NamedChange[]; readonly changed: readonly NamedChange[] };
  readonly subjects: { readonly added: readonly NamedChange[]; readonly removed: readonly NamedChange[]; readonly changed: readonly NamedChange[] };
}

function scoped(text: string, scope: Scope): string {
  const tenant = scope.tenant === undefined ? '' : ` in tenant ${scope.tenant}`;
  const until = scope.expiresAt === undefined ? '' : ` until ${new Date(scope.expiresAt).toISOString()}`;
  return `${text}${tenant}${until}`;
}

function roleEntries(role: RoleDefinition): string[] {
  return [...role.inherits.map((r) => `inherits ${r}`), ...role.grants.map((g) => `grant ${g}`), ...role.denies.map((d) => `deny ${d}`)];
}

/** Entries in force at `now`: a gateway's admin API leaves out expired ones, so a file's must be left out too. */
function subjectEntries(now: number): (record: SubjectRecord) => string[] {
  const live = (scope: Scope): boolean => scope.expiresAt === undefined || scope.expiresAt > now;
  return (record) => [
    ...record.roles.filter(live).map((b) => scoped(`role ${b.role}`, b)),
    ...record.grants.filter(live).map((g) => scoped(`grant ${g.code}`, g)),
    ...record.denies.filter(live).map((d) => scoped(`deny ${d.code}`, d)),
  ];
}

function entryChanges(before: readonly string[], after: readonly string[]): EntryChange[] {
  const a = new Set(before);
  const b = new Set(after);
  return [...[...a].filter((e) => !b.has(e)).map((entry) => ({ change: '-' as const, entry })), ...[...b].filter((e) => !a.has(e)).map((entry) => ({ change: '+' as const, entry }))];
}

function diffNamed<T>(before: ReadonlyMap<string, { value: T; source: 'config' | 'store' }>, after: ReadonlyMap<string, { value: T; source: 'config' | 'store' }>, entries: (value: T) => string[]) {
  const added: NamedChange[] = [];
  const removed: NamedChange[] = [];
  const changed: NamedChange[] = [];
  for (const [name, b] of after) {
    const a = before.get(name);
    if (a === undefined) added.push({ name, source: b.source, entries: entries(b.value).map((entry) => ({ change: '+', entry })) });
    else {
      const list = entryChanges(entries(a.value), entries(b.value));
      if (list.length > 0 || a.source !== b.source) changed.push({ name, source: b.source, ...(a.source !== b.source ? { was: a.source } : {}), entries: list });
    }
  }
  for (const [name, a] of before) if (!after.has(name)) removed.push({ name, source: a.source, entries: entries(a.value).map((entry) => ({ change: '-', entry })) });
  const order = (x: NamedChange, y: NamedChange): number => x.name.localeCompare(y.name);
  return { added: added.sort(order), removed: removed.sort(order), changed: changed.sort(order) };
}

function roles(side: PolicySide): Map<string, { value: RoleDefinition; source: 'config' | 'store' }> {
  const out = new Map<string, { value: RoleDefinition; source: 'config' | 'store' }>();
  for (const [name, role] of side.configured.roles) out.set(name, { value: role, source: 'config' });
  // A stored role named like a config role is never used (rbac-authorizer.ts mergeRoles).
  for (const [name, role] of side.stored.roles) if (!out.has(name)) out.set(name, { value: role, source: 'store' });
  return out;
}

function subjects(side: PolicySide): Map<string, { value: SubjectRecord; source: 'config' | 'store' }> {
  return new Map([...side.configured.subjects].map(([name, record]) => [name, { value: record, source: 'config' as const }]));
}

export function diffRbac(before: PolicySide, after: PolicySide, now: number): RbacDiff {
  return { roles: diffNamed(roles(before), roles(after), roleEntries), subjects: diffNamed(subjects(before), subjects(after), subjectEntries(now)) };
}
