// The audit trail: who changed what, and which requests were denied, kept in the store so every
// instance writes to one trail. Entries carry no credential.

export interface AuditEntry {
  /** Milliseconds since the epoch. */
  readonly at: number;
  /** Who did it: `admin-token`, the subject of an admin's JWT, or (for a denied request) the caller's subject. */
  readonly actor: string;
  readonly action: string;
  readonly target: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

export interface AuditTrail {
  record(entry: AuditEntry): Promise<void>;
  /** Newest first. */
  recent(limit: number): Promise<AuditEntry[]>;
}
