// The seam between the RBAC engine and where dynamic policy lives (stores/memory, stores/redis). Writes are
// compare-and-set, so two admins editing one subject cannot lose an update; each write bumps one version counter and
// announces what changed, so every instance drops exactly the compiled subjects the change affects.
import type { RoleDefinition, SubjectRecord } from './model.js';

/** A value as read, with the stamp a compare-and-set must present to replace it. */
export interface Stamped<T> {
  readonly value: T | undefined;
  /** Opaque; changes with every write of this value. */
  readonly stamp: string;
}

/** What a write announces: which subject or role changed (the store's feed gives it its version). */
export interface RbacWrite {
  readonly kind: 'subject' | 'role';
  readonly name: string;
}

/** What one write changed, as announced to every instance. */
export type RbacChange =
  | { readonly kind: 'subject'; readonly name: string; readonly version: number }
  | { readonly kind: 'role'; readonly name: string; readonly version: number }
  /** Changes may have been missed (a gap in versions, a reconnect, a flushed store): read every compiled subject again. */
  | { readonly kind: 'resync'; readonly reason: string };

export interface RbacStore {
  /** Subscribes to changes and starts the version check. */
  start(onChange: (change: RbacChange) => void): Promise<void>;
  close(): Promise<void>;
  /** False while missed changes cannot be ruled out (the shared store is unreachable). */
  isCurrent(): boolean;
  /**
   * For a route that fails closed: true when current, false when the store is unreachable, and while the store is
   * only late to confirm it missed nothing (a busy store or process), the outcome of a confirmation sent now.
   */
  confirmCurrent(): boolean | Promise<boolean>;
  /** Every dynamic role; the stamp covers them all, so a role write conflicts with any other role write. */
  loadRoles(): Promise<Stamped<ReadonlyMap<string, RoleDefinition>>>;
  loadSubject(subject: string): Promise<Stamped<SubjectRecord>>;
  /** Subjects that have a dynamic record, in pages. */
  listSubjects(cursor: string, count: number): Promise<{ readonly subjects: readonly string[]; readonly cursor: string }>;
  /** Replaces (or, with undefined, deletes) a subject's record if its stamp is still `stamp`. False on a conflict. */
  writeSubject(subject: string, stamp: string, next: SubjectRecord | undefined): Promise<boolean>;
  /** Replaces (or deletes) one role if the roles' stamp is still `stamp`. False on a conflict. */
  writeRole(name: string, stamp: string, next: RoleDefinition | undefined): Promise<boolean>;
}
