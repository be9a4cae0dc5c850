// The audit trail of a single instance (and of `store.path: memory`): one bounded ring per kind, so denials can only
// push out older denials; entries numbered in one sequence, so both kinds read back in the order they were written.
import { encodeAuditCursor, decodeAuditCursor } from '../../observability/audit-cursor.js';
import { boundAuditEntry, type BoundedAuditEntry } from '../../observability/audit-entry-bounds.js';
import { AUDIT_KINDS, matchesAuditQuery, type AuditEntry, type AuditKind, type AuditPage, type AuditQuery, type AuditRecord, type AuditTrail } from '../../observability/audit-trail.js';

interface Numbered extends BoundedAuditEntry {
  readonly seq: number;
}

/** A bounded ring, oldest at 0; the newest push drops the oldest when full. Grows as filled, not allocated at once. */
class Ring<T> {
  readonly #items: T[] = [];
  #start = 0;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.#items.length;
  }

  push(item: T): void {
    if (this.#items.length < this.capacity) this.#items.push(item);
    else {
      this.#items[this.#start] = item;
      this.#start = (this.#start + 1) % this.capacity;
    }
  }

  at(index: number): T {
    return this.#items[(this.#start + index) % this.#items.length]!;
  }

  /** The index of the last item for which `before` holds (items ascend), or -1. */
  lastWhere(before: (item: T) => boolean): number {
    let low = 0;
    let high = this.size; // the first index where `before` fails
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (before(this.at(mid))) low = mid + 1;
      else high = mid;
    }
    return low - 1;
  }
}

const POSITION = /^[1-9]\d{0,15}$/;

export class MemoryAuditTrail implements AuditTrail {
  readonly #rings: Record<AuditKind, Ring<Numbered>>;
  #seq = 0;

  constructor(caps: { readonly changes: number; readonly denials: number } = { changes: 100_000, denials: 10_000 }) {
    this.#rings = { change: new Ring(caps.changes), denial: new Ring(caps.denials) };
  }

  async record(entry: AuditEntry): Promise<void> {
    const bounded = boundAuditEntry(entry);
    this.#rings[bounded.kind].push({ ...bounded, seq: ++this.#seq });
  }

  async query(query: AuditQuery): Promise<AuditPage> {
    const below = query.cursor === undefined ? Infinity : Number(decodeAuditCursor(query.cursor, 'm', POSITION));
    const heads = (query.kind === undefined ? AUDIT_KINDS : [query.kind]).map((kind) => {
      const ring = this.#rings[kind];
      return { ring, index: ring.lastWhere((item) => item.seq < below) };
    });
    const entries: AuditRecord[] = [];
    // One match past the page says whether there is a next page.
    while (entries.length <= query.limit) {
      let newest: (typeof heads)[number] | undefined;
      for (const head of heads) if (head.index >= 0 && (newest === undefined || head.ring.at(head.index).seq > newest.ring.at(newest.index).seq)) newest = head;
      if (newest === undefined) break;
      const item = newest.ring.at(newest.index--);
      if (matchesAuditQuery(item, query)) entries.push(toRecord(item));
    }
    if (entries.length <= query.limit) return { entries };
    entries.pop();
    return { entries, next: entries[entries.length - 1]!.id };
  }

  async recent(limit: number): Promise<AuditRecord[]> {
    return [...(await this.query({ limit })).entries];
  }
}

function toRecord({ seq, ...entry }: Numbered): AuditRecord {
  return { id: encodeAuditCursor('m', String(seq)), ...entry };
}
