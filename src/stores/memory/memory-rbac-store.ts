// Dynamic RBAC data of a single instance. Records are kept as JSON text, as Redis keeps them, so a caller can never
// mutate stored state through an object it was handed, and stamps compare the same way on both stores. Changes are
// announced on an in-process feed, as the Redis store announces them on its own.
import { GatewayError } from '../../errors.js';
import type { RoleDefinition, SubjectRecord } from '../../rbac/model.js';
import type { RbacChange, RbacStore, RbacWrite, Stamped } from '../../rbac/rbac-store.js';
import { MemoryFeed } from './memory-feed.js';

export class MemoryRbacStore implements RbacStore {
  readonly #subjects = new Map<string, string>();
  readonly #roles = new Map<string, string>();
  #rolesRevision = 0;
  /** A write announces which subject or role changed; the feed gives it its version. */
  readonly #feed = new MemoryFeed<RbacWrite>();

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
    for (const [name, text] of this.#roles) roles.set(name, JSON.parse(text) as RoleDefinition);
    return { value: roles, stamp: String(this.#rolesRevision) };
  }

  async loadSubject(subject: string): Promise<Stamped<SubjectRecord>> {
    const text = this.#subjects.get(subject);
    return { value: text === undefined ? undefined : (JSON.parse(text) as SubjectRecord), stamp: text ?? '' };
  }

  async listSubjects(cursor: string, count: number): Promise<{ subjects: string[]; cursor: string }> {
    // `>name`: the page after `name` (a bare name could be "0", the end-of-list cursor). As the sqlite store does.
    if (cursor !== '' && cursor !== '0' && !cursor.startsWith('>')) throw new GatewayError('PG_ADMIN_BAD_INPUT', { detail: '"cursor" is not one this list gave out' });
    const after = cursor.slice(1);
    const all = [...this.#subjects.keys()].sort();
    const start = after === '' ? 0 : all.findIndex((name) => name > after);
    const page = start === -1 ? [] : all.slice(start, start + count);
    const more = start !== -1 && start + count < all.length;
    return { subjects: page, cursor: more ? `>${page[page.length - 1]!}` : '0' };
  }

  async writeSubject(subject: string, stamp: string, next: SubjectRecord | undefined): Promise<boolean> {
    const written = this.#feed.write(() => {
      if ((this.#subjects.get(subject) ?? '') !== stamp) return undefined;
      if (next === undefined) this.#subjects.delete(subject);
      else this.#subjects.set(subject, JSON.stringify(next));
      return { kind: 'subject', name: subject };
    });
    return written !== undefined;
  }

  async writeRole(name: string, stamp: string, next: RoleDefinition | undefined): Promise<boolean> {
    const written = this.#feed.write(() => {
      if (String(this.#rolesRevision) !== stamp) return undefined;
      if (next === undefined) this.#roles.delete(name);
      else this.#roles.set(name, JSON.stringify(next));
      this.#rolesRevision++;
      return { kind: 'role', name };
    });
    return written !== undefined;
  }
}
