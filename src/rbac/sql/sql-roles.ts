// Every role the SQL source read, held per role name as the database stores it (before the preset's role()), so a
// change to a few roles replaces their rows alone (roleGrantsOf, roleParentsOf; issue 16: a role change in force within
// 100 ms, not after reading a million rows) and the roles built from them are exactly those a full read would build
// (rowsToRoles in rows-to-policy.ts is the one definition of both).
import type { RoleDefinition } from '../model.js';
import { rowsToRoles, type SqlRow } from './rows-to-policy.js';
import { lowercased, reporting, sameRole, type RowMapping, type RowReport } from './sql-rows.js';

/** What one stored role name's rows give its permgate role: from roleGrants (grants, denies) or roleParents (inherits). */
interface Part {
  readonly name: string;
  readonly grants: readonly string[];
  readonly denies: readonly string[];
  readonly inherits: readonly string[];
}

/**
 * The roleParents rows of a partial read: those of the roles read (`roleParentsOf`), every one (`roleParents`, when
 * there is no per-role form), or none (no roleParents query).
 */
export type ParentRows = { readonly of: readonly SqlRow[] } | { readonly all: readonly SqlRow[] } | undefined;

export class SqlRoles {
  readonly #mapping: RowMapping;
  readonly #report: RowReport;
  /** Stored role name → what its roleGrants rows give. */
  #grants = new Map<string, Part>();
  /** Stored role name → what its roleParents rows give. */
  #parents = new Map<string, Part>();
  /** permgate role name → the stored names with a part under it (several when the preset maps two names to one). */
  #stored = new Map<string, Set<string>>();
  /** permgate role name → how many parts name it as a parent: a role named only as a parent exists, empty. */
  #named = new Map<string, number>();
  #roles: ReadonlyMap<string, RoleDefinition> = new Map();

  constructor(mapping: RowMapping, report: RowReport) {
    this.#mapping = mapping;
    this.#report = report;
  }

  /** Every role, by permgate name. A new map after each change; a role that did not change keeps its object. */
  get roles(): ReadonlyMap<string, RoleDefinition> {
    return this.#roles;
  }

  /** A full read: every roleGrants and roleParents row. Returns the permgate names of the roles that differ. */
  replaceAll(grantRows: readonly SqlRow[], parentRows: readonly SqlRow[]): Set<string> {
    const before = this.#roles;
    this.#grants = this.#parts(grantRows, 'grants', undefined);
    this.#parents = this.#parts(parentRows, 'parents', undefined);
    this.#stored = new Map();
    this.#named = new Map();
    for (const parts of [this.#grants, this.#parents]) for (const [stored, part] of parts) this.#index(stored, part);
    const names = [...new Set([...this.#stored.keys(), ...this.#named.keys()])].sort();
    const roles = new Map<string, RoleDefinition>();
    for (const name of names) {
      const next = this.#build(name)!;
      const old = before.get(name);
      roles.set(name, old !== undefined && sameRole(old, next) ? old : next);
    }
    this.#roles = roles;
    const changed = new Set<string>();
    for (const name of new Set([...before.keys(), ...roles.keys()])) if (before.get(name) !== roles.get(name)) changed.add(name);
    return changed;
  }

  /**
   * A partial read: the roleGrants rows of the stored role names `read` (rows of any other name are ignored: a query
   * may return more, e.g. what a case-insensitive collation calls equal), and their parent rows. A name without rows
   * loses what it gave, as in a full read. Returns the permgate names of the roles that differ.
   */
  replace(read: readonly string[], grantRows: readonly SqlRow[], parentRows: ParentRows): Set<string> {
    const wanted = new Set(read);
    const touched = new Set<string>();
    const grants = this.#parts(grantRows, 'grants', wanted);
    for (const stored of wanted) this.#put(this.#grants, stored, grants.get(stored), touched);
    if (parentRows !== undefined && 'of' in parentRows) {
      const parents = this.#parts(parentRows.of, 'parents', wanted);
      for (const stored of wanted) this.#put(this.#parents, stored, parents.get(stored), touched);
    } else if (parentRows !== undefined) {
      const parents = this.#parts(parentRows.all, 'parents', undefined);
      for (const stored of new Set([...this.#parents.keys(), ...parents.keys()])) this.#put(this.#parents, stored, parents.get(stored), touched);
    }
    const roles = new Map(this.#roles);
    const changed = new Set<string>();
    for (const name of touched) {
      const old = roles.get(name);
      const next = this.#build(name);
      if (next === undefined) roles.delete(name);
      else roles.set(name, old !== undefined && sameRole(old, next) ? old : next);
      if (roles.get(name) !== old) changed.add(name);
    }
    this.#roles = roles;
    return changed;
  }

  /** Replaces one stored name's part (undefined: it has none now), noting every permgate name that may differ. */
  #put(parts: Map<string, Part>, stored: string, next: Part | undefined, touched: Set<string>): void {
    const old = parts.get(stored);
    if (old === undefined && next === undefined) return;
    if (old !== undefined) {
      this.#unindex(stored, old, parts === this.#grants ? this.#parents : this.#grants);
      touched.add(old.name);
      for (const parent of old.inherits) touched.add(parent);
    }
    if (next === undefined) parts.delete(stored);
    else {
      parts.set(stored, next);
      this.#index(stored, next);
      touched.add(next.name);
      for (const parent of next.inherits) touched.add(parent);
    }
  }

  #index(stored: string, part: Part): void {
    let names = this.#stored.get(part.name);
    if (names === undefined) this.#stored.set(part.name, (names = new Set()));
    names.add(stored);
    for (const parent of part.inherits) this.#named.set(parent, (this.#named.get(parent) ?? 0) + 1);
  }

  /** Undoes #index for `part`; the stored name stays listed while its other part (in `others`) remains. */
  #unindex(stored: string, part: Part, others: ReadonlyMap<string, Part>): void {
    if (!others.has(stored)) {
      const names = this.#stored.get(part.name);
      names?.delete(stored);
      if (names?.size === 0) this.#stored.delete(part.name);
    }
    for (const parent of part.inherits) {
      const count = (this.#named.get(parent) ?? 0) - 1;
      if (count > 0) this.#named.set(parent, count);
      else this.#named.delete(parent);
    }
  }

  /** The role `name` as a full read builds it from every part under it; undefined when nothing defines or names it. */
  #build(name: string): RoleDefinition | undefined {
    const grants: Part[] = [];
    const parents: Part[] = [];
    for (const stored of this.#stored.get(name) ?? []) {
      const g = this.#grants.get(stored);
      if (g !== undefined) grants.push(g);
      const p = this.#parents.get(stored);
      if (p !== undefined) parents.push(p);
    }
    if (grants.length + parents.length === 0 && !this.#named.has(name)) return undefined;
    return {
      name,
      grants: union(grants.map((g) => g.grants)),
      denies: union(grants.map((g) => g.denies)),
      inherits: union(parents.map((p) => p.inherits)),
    };
  }

  /**
   * Each stored role name's part, from its rows (rowsToRoles on that name's rows alone: the same reading, the same
   * reports). With `wanted`, only those names; rows naming others are skipped unread.
   */
  #parts(rows: readonly SqlRow[], kind: 'grants' | 'parents', wanted: ReadonlySet<string> | undefined): Map<string, Part> {
    const byName = new Map<string | undefined, SqlRow[]>();
    for (const row of lowercased(rows)) {
      const role = row['role'];
      const stored = typeof role === 'string' ? role : undefined;
      if (wanted !== undefined && (stored === undefined || !wanted.has(stored))) continue;
      let list = byName.get(stored);
      if (list === undefined) byName.set(stored, (list = []));
      list.push(row);
    }
    const parts = new Map<string, Part>();
    const report = reporting(this.#report);
    for (const [stored, list] of byName) {
      // A role that is not text is reported and left out, as in every read (rowsToRoles says why).
      const roles = kind === 'grants' ? rowsToRoles(this.#mapping, list, [], report) : rowsToRoles(this.#mapping, [], list, report);
      if (stored === undefined) continue;
      const name = this.#mapping.role(stored);
      const role = roles.get(name);
      if (role === undefined || (kind === 'parents' && role.inherits.length === 0)) continue;
      parts.set(stored, { name, grants: [...role.grants].sort(), denies: [...role.denies].sort(), inherits: [...role.inherits].sort() });
    }
    return parts;
  }
}

const EMPTY: readonly string[] = [];

/** Sorted, without repeats; one list is returned as it is (it is sorted and unique already). */
function union(lists: readonly (readonly string[])[]): readonly string[] {
  if (lists.length === 0) return EMPTY;
  if (lists.length === 1) return lists[0]!;
  return [...new Set(lists.flat())].sort();
}
