// The RbacStore the engine reads when `rbac.source.sql` is configured: the configured store (memory, SQLite, Redis:
// where admin API writes keep going) with the SQL source beside it. Reads merge both; writes, stamps and listings are
// the store's alone, so the admin API never copies SQL rows into the store.
//
// Merge rule (README "A SQL source"): a subject's bindings, grants and denies are the union of its store record and its
// SQL rows; a role defined in both is one role with the union of their grants, denies and inherits; a deny beats a
// grant wherever it comes from (the engine's rule). A role of the same name in the config's `rbac.roles` replaces the
// merged one, exactly as it already replaces an admin role (rbac-authorizer.ts mergeRoles). The layer is current only
// while both are, and both feeds' changes reach the engine.
import type { RoleDefinition, SubjectRecord } from '../model.js';
import type { RbacChange, RbacStore, Stamped } from '../rbac-store.js';
import type { SqlRbacSource } from './sql-rbac-source.js';

export class LayeredRbacStore implements RbacStore {
  readonly #store: RbacStore;
  readonly #sql: SqlRbacSource;

  constructor(store: RbacStore, sql: SqlRbacSource) {
    this.#store = store;
    this.#sql = sql;
  }

  /** The store admin API writes go to (and reads that must see the store's own records). */
  get writable(): RbacStore {
    return this.#store;
  }

  get sql(): SqlRbacSource {
    return this.#sql;
  }

  async start(onChange: (change: RbacChange) => void): Promise<void> {
    await this.#store.start(onChange);
    await this.#sql.start(onChange);
  }

  async close(): Promise<void> {
    await this.#sql.close();
    await this.#store.close();
  }

  isCurrent(): boolean {
    return this.#store.isCurrent() && this.#sql.isCurrent();
  }

  /** The SQL source has no late state of its own: it is current or it is not. */
  confirmCurrent(): boolean | Promise<boolean> {
    return this.#sql.isCurrent() && this.#store.confirmCurrent();
  }

  async loadRoles(): Promise<Stamped<ReadonlyMap<string, RoleDefinition>>> {
    const stored = await this.#store.loadRoles();
    return { value: mergeRoleMaps(this.#sql.roles(), stored.value ?? new Map()), stamp: stored.stamp };
  }

  async loadSubject(subject: string): Promise<Stamped<SubjectRecord>> {
    const [stored, sql] = await Promise.all([this.#store.loadSubject(subject), this.#sql.loadSubject(subject)]);
    return { value: mergeRecords(stored.value, sql), stamp: stored.stamp };
  }

  listSubjects(cursor: string, count: number): ReturnType<RbacStore['listSubjects']> {
    return this.#store.listSubjects(cursor, count);
  }

  writeSubject(subject: string, stamp: string, next: SubjectRecord | undefined): Promise<boolean> {
    return this.#store.writeSubject(subject, stamp, next);
  }

  writeRole(name: string, stamp: string, next: RoleDefinition | undefined): Promise<boolean> {
    return this.#store.writeRole(name, stamp, next);
  }
}

/** The store admin API writes go to: the configured store under a SQL layer, else the store itself. */
export function writableStore(store: RbacStore): RbacStore {
  return store instanceof LayeredRbacStore ? store.writable : store;
}

/** One role map from two: a name in both gets the union of grants, denies and inherits. */
export function mergeRoleMaps(a: ReadonlyMap<string, RoleDefinition>, b: ReadonlyMap<string, RoleDefinition>): ReadonlyMap<string, RoleDefinition> {
  if (b.size === 0) return a;
  if (a.size === 0) return b;
  const out = new Map(a);
  for (const [name, role] of b) {
    const other = out.get(name);
    out.set(
      name,
      other === undefined
        ? role
        : {
            name,
            grants: union(other.grants, role.grants),
            denies: union(other.denies, role.denies),
            inherits: union(other.inherits, role.inherits),
            description: role.description ?? other.description,
          },
    );
  }
  return out;
}

/** A subject's store record and its SQL record as one (undefined when neither holds anything). */
export function mergeRecords(stored: SubjectRecord | undefined, sql: SubjectRecord): SubjectRecord | undefined {
  const empty = sql.roles.length + sql.grants.length + sql.denies.length === 0;
  if (stored === undefined) return empty ? undefined : sql;
  if (empty) return stored;
  return { roles: [...stored.roles, ...sql.roles], grants: [...stored.grants, ...sql.grants], denies: [...stored.denies, ...sql.denies] };
}

function union(a: readonly string[], b: readonly string[]): readonly string[] {
  return [...new Set([...a, ...b])];
}
