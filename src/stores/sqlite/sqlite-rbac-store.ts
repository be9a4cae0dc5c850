// Dynamic RBAC data of the embedded store, kept in its file. Records are JSON text, as on Redis, so stamps compare
// the same way; a compare-and-set is one synchronous transaction on the one connection, so it is atomic by itself.
// Changes are announced to this process only, on an in-process feed: the embedded store is single-instance.
import type { Statement } from 'better-sqlite3';
import { GatewayError } from '../../errors.js';
import type { RoleDefinition, SubjectRecord } from '../../rbac/model.js';
import type { RbacChange, RbacStore, RbacWrite, Stamped } from '../../rbac/rbac-store.js';
import { MemoryFeed } from '../memory/memory-feed.js';
import type { SqliteFile } from './sqlite-file.js';

const ROLES_REVISION = 'rbac.roles-revision';

export class SqliteRbacStore implements RbacStore {
  readonly #store: SqliteFile;
  readonly #sql: {
    readonly subject: Statement<[string]>;
    readonly putSubject: Statement<[string, string]>;
    readonly deleteSubject: Statement<[string]>;
    readonly subjectsAfter: Statement<[string, number]>;
    readonly roles: Statement<[]>;
    readonly putRole: Statement<[string, string]>;
    readonly deleteRole: Statement<[string]>;
    readonly revision: Statement<[string]>;
    readonly putRevision: Statement<[string, string]>;
  };
  /** A write announces which subject or role changed; the feed gives it its version. */
  readonly #feed = new MemoryFeed<RbacWrite>();

  constructor(store: SqliteFile) {
    this.#store = store;
    const { db } = store;
    this.#sql = {
      subject: db.prepare('SELECT record FROM rbac_subjects WHERE name = ?'),
      putSubject: db.prepare('INSERT INTO rbac_subjects (name, record) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET record = excluded.record'),
      deleteSubject: db.prepare('DELETE FROM rbac_subjects WHERE name = ?'),
      subjectsAfter: db.prepare('SELECT name FROM rbac_subjects WHERE name > ? ORDER BY name LIMIT ?'),
      roles: db.prepare('SELECT name, definition FROM rbac_roles'),
      putRole: db.prepare('INSERT INTO rbac_roles (name, definition) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET definition = excluded.definition'),
      deleteRole: db.prepare('DELETE FROM rbac_roles WHERE name = ?'),
      revision: db.prepare('SELECT value FROM meta WHERE key = ?'),
      putRevision: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    };
  }

  async start(onChange: (change: RbacChange) => void): Promise<void> {
    await this.#feed.start({ apply: onChange, resync: (reason) => onChange({ kind: 'resync', reason }) });
  }

  async close(): Promise<void> {
    await this.#feed.close();
  }

  isCurrent(): boolean {
    return this.#feed.isCurrent();
  }

  confirmCurrent(): boolean | Promise<boolean> {
    return this.#feed.confirmCurrent();
  }

  async loadRoles(): Promise<Stamped<ReadonlyMap<string, RoleDefinition>>> {
    const roles = new Map<string, RoleDefinition>();
    for (const row of this.#sql.roles.all() as { name: string; definition: string }[]) roles.set(row.name, JSON.parse(row.definition) as RoleDefinition);
    return { value: roles, stamp: this.#rolesRevision() };
  }

  async loadSubject(subject: string): Promise<Stamped<SubjectRecord>> {
    const text = this.#subjectText(subject);
    return { value: text === undefined ? undefined : (JSON.parse(text) as SubjectRecord), stamp: text ?? '' };
  }

  /** The cursor is `0` to start and when done; in between, `>` and the last name given. */
  async listSubjects(cursor: string, count: number): Promise<{ subjects: string[]; cursor: string }> {
    if (cursor !== '' && cursor !== '0' && !cursor.startsWith('>')) throw new GatewayError('PG_ADMIN_BAD_INPUT', { detail: '"cursor" is not one this list gave out' });
    const after = cursor.startsWith('>') ? cursor.slice(1) : '';
    const names = (this.#sql.subjectsAfter.all(after, count + 1) as { name: string }[]).map((row) => row.name);
    const more = names.length > count;
    const subjects = names.slice(0, count);
    return { subjects, cursor: more ? `>${subjects[subjects.length - 1]!}` : '0' };
  }

  async writeSubject(subject: string, stamp: string, next: SubjectRecord | undefined): Promise<boolean> {
    const written = this.#feed.write(() =>
      this.#store.write(() =>
        this.#store.db.transaction(() => {
          if ((this.#subjectText(subject) ?? '') !== stamp) return undefined;
          if (next === undefined) this.#sql.deleteSubject.run(subject);
          else this.#sql.putSubject.run(subject, JSON.stringify(next));
          return { kind: 'subject', name: subject } as const;
        }).immediate(),
      ),
    );
    return written !== undefined;
  }

  async writeRole(name: string, stamp: string, next: RoleDefinition | undefined): Promise<boolean> {
    const written = this.#feed.write(() =>
      this.#store.write(() =>
        this.#store.db.transaction(() => {
          const revision = this.#rolesRevision();
          if (revision !== stamp) return undefined;
          if (next === undefined) this.#sql.deleteRole.run(name);
          else this.#sql.putRole.run(name, JSON.stringify(next));
          this.#sql.putRevision.run(ROLES_REVISION, String(Number(revision) + 1));
          return { kind: 'role', name } as const;
        }).immediate(),
      ),
    );
    return written !== undefined;
  }

  #subjectText(subject: string): string | undefined {
    return (this.#sql.subject.get(subject) as { record: string } | undefined)?.record;
  }

  #rolesRevision(): string {
    return (this.#sql.revision.get(ROLES_REVISION) as { value: string } | undefined)?.value ?? '0';
  }
}
