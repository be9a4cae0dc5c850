// The audit trail: who changed what, and which requests were denied, kept in the store so every instance writes to
// one trail. Two kinds, each with its own cap, so no volume of denials can push an admin change out (issue #10).
// Entries carry no credential, and are bounded in size before they are stored (audit-entry-bounds.ts).

/** `change`: an admin change or a reload, kept up to `store.audit.changes`. `denial`: a sampled 403, in a ring. */
export type AuditKind = 'change' | 'denial';

export const AUDIT_KINDS: readonly AuditKind[] = ['change', 'denial'];

export interface AuditEntry {
  /** `change` unless said otherwise: only the denial reporter writes denials. */
  readonly kind?: AuditKind;
  /** Milliseconds since the epoch. */
  readonly at: number;
  /** Who did it: `admin-token`, the subject of an admin's JWT, or (for a denied request) the caller's subject. */
  readonly actor: string;
  readonly action: string;
  readonly target: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

/** An entry as stored and read back. */
export interface AuditRecord extends AuditEntry {
  /** Opaque and stable: the entry's place in the trail (a cursor that pages on from just after it). */
  readonly id: string;
  readonly kind: AuditKind;
  /** Present when a string or payload was cut to fit the entry bounds. */
  readonly truncated?: true;
}

export interface AuditQuery {
  readonly kind?: AuditKind;
  /** Exact matches. */
  readonly actor?: string;
  readonly action?: string;
  readonly target?: string;
  /** Inclusive bounds on `at`, in milliseconds since the epoch. */
  readonly from?: number;
  readonly to?: number;
  /** Entries older than this one (an `id` or a page's `next`); from the newest when absent. */
  readonly cursor?: string;
  readonly limit: number;
}

export interface AuditPage {
  /** Newest first. */
  readonly entries: readonly AuditRecord[];
  /**
   * Where the next (older) page starts; absent when the trail has nothing older that could match. A page may hold
   * fewer than `limit` entries while `next` is present: a store that bounds the work of one query (Redis) stops there.
   */
  readonly next?: string;
}

export interface AuditTrail {
  record(entry: AuditEntry): Promise<void>;
  /** Throws PG_ADMIN_BAD_INPUT for a cursor this trail did not give out. */
  query(query: AuditQuery): Promise<AuditPage>;
  /** Newest first, both kinds. */
  recent(limit: number): Promise<AuditRecord[]>;
}

/** True when `entry` passes every filter of `query` except the cursor and the kind. */
export function matchesAuditQuery(entry: AuditEntry, query: AuditQuery): boolean {
  return (
    (query.actor === undefined || entry.actor === query.actor) &&
    (query.action === undefined || entry.action === query.action) &&
    (query.target === undefined || entry.target === query.target) &&
    (query.from === undefined || entry.at >= query.from) &&
    (query.to === undefined || entry.at <= query.to)
  );
}
