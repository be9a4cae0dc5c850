// The audit trail of the embedded store, in its file: one table, each kind capped on its own (denials can only push
// out older denials), an index per filter. Admin changes are written and synced before the admin API answers;
// sampled denials are batched (one transaction every 250 ms, or every 500 entries), so a flood of 403s costs a few
// syncs a second rather than one each — a crash may lose the last 250 ms of denials, never a change.
import type { Statement } from 'better-sqlite3';
import { decodeAuditCursor, encodeAuditCursor } from '../../observability/audit-cursor.js';
import { boundAuditEntry, type BoundedAuditEntry } from '../../observability/audit-entry-bounds.js';
import type { AuditEntry, AuditKind, AuditPage, AuditQuery, AuditRecord, AuditTrail } from '../../observability/audit-trail.js';
import type { SqliteFile } from './sqlite-file.js';

const FLUSH_EVERY_MS = 250;
const FLUSH_AT = 500;
const POSITION = /^[1-9]\d{0,15}$/;
/** Each filter and its condition; only these fixed texts ever enter the SQL, values are bound parameters. */
const FILTERS = [
  ['kind', 'kind = @kind'],
  ['actor', 'actor = @actor'],
  ['action', 'action = @action'],
  ['target', 'target = @target'],
  ['from', 'at >= @from'],
  ['to', 'at <= @to'],
] as const satisfies readonly (readonly [keyof AuditQuery, string])[];

interface Row {
  readonly id: number;
  readonly kind: AuditKind;
  readonly at: number;
  readonly actor: string;
  readonly action: string;
  readonly target: string;
  readonly payload: string;
}

export class SqliteAuditTrail implements AuditTrail {
  readonly #store: SqliteFile;
  readonly #caps: Record<AuditKind, number>;
  readonly #counts: Record<AuditKind, number> = { change: 0, denial: 0 };
  readonly #insert: Statement<[string, number, string, string, string, string]>;
  readonly #trim: Statement<[string, number]>;
  readonly #queries = new Map<string, Statement>();
  #pending: BoundedAuditEntry[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(store: SqliteFile, caps: { readonly changes: number; readonly denials: number } = { changes: 100_000, denials: 10_000 }) {
    this.#store = store;
    this.#caps = { change: caps.changes, denial: caps.denials };
    const { db } = store;
    this.#insert = db.prepare('INSERT INTO audit (kind, at, actor, action, target, payload) VALUES (?, ?, ?, ?, ?, ?)');
    this.#trim = db.prepare('DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE kind = ? ORDER BY id LIMIT ?)');
    for (const row of db.prepare('SELECT kind, count(*) AS n FROM audit GROUP BY kind').all() as { kind: AuditKind; n: number }[]) {
      if (row.kind in this.#counts) this.#counts[row.kind] = row.n;
    }
    // A smaller cap than the file was written with takes effect at start.
    store.write(() => store.db.transaction(() => (['change', 'denial'] as const).forEach((kind) => this.#trimKind(kind))).immediate());
    store.beforeClose(() => this.#flush());
  }

  async record(entry: AuditEntry): Promise<void> {
    const bounded = boundAuditEntry(entry);
    if (bounded.kind === 'denial') {
      this.#pending.push(bounded);
      if (this.#pending.length >= FLUSH_AT) this.#flush();
      else this.#timer ??= setTimeout(() => this.#flush(), FLUSH_EVERY_MS).unref();
      return;
    }
    // Denials recorded before this change are written with it, so ids keep the order entries were recorded in.
    this.#write([...this.#takePending(), bounded]);
  }

  async query(query: AuditQuery): Promise<AuditPage> {
    const below = query.cursor === undefined ? Number.MAX_SAFE_INTEGER : Number(decodeAuditCursor(query.cursor, 's', POSITION));
    this.#flush();
    // One row past the page says whether there is a next page.
    const params: Record<string, string | number> = { below, limit: query.limit + 1 };
    const conditions = ['id < @below'];
    for (const [name, condition] of FILTERS) {
      const value = query[name];
      if (value === undefined) continue;
      conditions.push(condition);
      params[name] = value;
    }
    const sql = `SELECT id, kind, at, actor, action, target, payload FROM audit WHERE ${conditions.join(' AND ')} ORDER BY id DESC LIMIT @limit`;
    let statement = this.#queries.get(sql);
    if (statement === undefined) this.#queries.set(sql, (statement = this.#store.db.prepare(sql)));
    const rows = statement.all(params) as Row[];
    const entries = rows.slice(0, query.limit).map(toRecord);
    return rows.length > query.limit ? { entries, next: entries[entries.length - 1]!.id } : { entries };
  }

  async recent(limit: number): Promise<AuditRecord[]> {
    return [...(await this.query({ limit })).entries];
  }

  #takePending(): BoundedAuditEntry[] {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const pending = this.#pending;
    this.#pending = [];
    return pending;
  }

  #flush(): void {
    const pending = this.#takePending();
    if (pending.length === 0 || !this.#store.db.open) return;
    try {
      this.#write(pending);
    } catch {
      // Sampled denials are best effort (they are counted in metrics either way); changes are never batched.
    }
  }

  /** One transaction: the entries, then each touched kind trimmed to its cap. */
  #write(entries: readonly BoundedAuditEntry[]): void {
    const counts = { ...this.#counts };
    try {
      this.#store.write(() =>
        this.#store.db
          .transaction(() => {
            for (const { kind, at, actor, action, target, before, after, truncated } of entries) {
              this.#insert.run(kind, at, actor, action, target, JSON.stringify({ before, after, truncated }));
              this.#counts[kind]++;
            }
            for (const kind of new Set(entries.map((entry) => entry.kind))) this.#trimKind(kind);
          })
          .immediate(),
      );
    } catch (err) {
      Object.assign(this.#counts, counts); // rolled back
      throw err;
    }
  }

  #trimKind(kind: AuditKind): void {
    const excess = this.#counts[kind] - this.#caps[kind];
    if (excess <= 0) return;
    this.#trim.run(kind, excess);
    this.#counts[kind] = this.#caps[kind];
  }
}

function toRecord(row: Row): AuditRecord {
  const { before, after, truncated } = JSON.parse(row.payload) as { before?: unknown; after?: unknown; truncated?: true };
  return {
    id: encodeAuditCursor('s', String(row.id)),
    kind: row.kind,
    at: row.at,
    actor: row.actor,
    action: row.action,
    target: row.target,
    ...(before === undefined ? {} : { before }),
    ...(after === undefined ? {} : { after }),
    ...(truncated ? { truncated } : {}),
  };
}
