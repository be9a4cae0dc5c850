// The shared audit trail: one Redis stream per kind, each capped (exactly) on its own, so denials can only push out
// older denials and an admin change stays until `store.audit.changes` newer changes follow it. A query reads both
// streams newest first, merged by stream id, and filters as it goes; one query examines at most SCAN_BUDGET entries
// (in chunks), then answers with what it found and a cursor to go on from — so its cost stays bounded whatever the
// filter, at the price of pages that may be short.
import type { RedisClient } from './redis-connection.js';
import { decodeAuditCursor, encodeAuditCursor } from '../../observability/audit-cursor.js';
import { boundAuditEntry } from '../../observability/audit-entry-bounds.js';
import { AUDIT_KINDS, matchesAuditQuery, type AuditEntry, type AuditKind, type AuditPage, type AuditQuery, type AuditRecord, type AuditTrail } from '../../observability/audit-trail.js';
import { storeUnavailable } from './store-unavailable.js';

const STREAMS: Record<AuditKind, string> = { change: '{permgate:audit}:changes', denial: '{permgate:audit}:denials' };
/** Breaks ties between the two streams' equal ids, so the merged order (and a cursor into it) is total. */
const RANK: Record<AuditKind, number> = { denial: 0, change: 1 };
/** The most entries one query reads from Redis, whatever its filter matches. */
export const SCAN_BUDGET = 1_000;
const CHUNK = 200;
const POSITION = /^(\d{1,15})-(\d{1,15})\.([01])$/;

/** A place in the merged trail: a stream id and the stream's rank. */
interface Place {
  readonly ms: number;
  readonly seq: number;
  readonly rank: number;
}

interface Head {
  readonly kind: AuditKind;
  /** Read from Redis, not yet examined: newest first. */
  buffer: [Place, string][];
  /** The XREVRANGE end for the next chunk; undefined once the stream is exhausted. */
  end: string | undefined;
}

export class RedisAuditTrail implements AuditTrail {
  readonly #caps: Record<AuditKind, number>;

  constructor(private readonly client: RedisClient, caps: { readonly changes: number; readonly denials: number } = { changes: 100_000, denials: 10_000 }) {
    this.#caps = { change: caps.changes, denial: caps.denials };
  }

  async record(entry: AuditEntry): Promise<void> {
    const { kind, ...rest } = boundAuditEntry(entry);
    await this.client.xadd(STREAMS[kind], 'MAXLEN', this.#caps[kind], '*', 'entry', JSON.stringify(rest)).catch(storeUnavailable);
  }

  async query(query: AuditQuery): Promise<AuditPage> {
    const from = query.cursor === undefined ? undefined : parsePlace(decodeAuditCursor(query.cursor, 'r', POSITION));
    const heads: Head[] = (query.kind === undefined ? AUDIT_KINDS : [query.kind]).map((kind) => ({
      kind,
      buffer: [],
      // Below the cursor: a stream ranked under the cursor's may still hold the cursor's own id.
      end: from === undefined ? '+' : RANK[kind] < from.rank ? `${from.ms}-${from.seq}` : `(${from.ms}-${from.seq}`,
    }));
    const entries: AuditRecord[] = [];
    let examined = 0;
    let last: Place | undefined;
    // One match past the page says whether there is a next page.
    while (entries.length <= query.limit && examined < SCAN_BUDGET) {
      await Promise.all(heads.filter((head) => head.buffer.length === 0 && head.end !== undefined).map((head) => this.#fill(head)));
      let newest: Head | undefined;
      for (const head of heads) if (head.buffer.length > 0 && (newest === undefined || compare(head.buffer[0]![0], newest.buffer[0]![0]) > 0)) newest = head;
      if (newest === undefined) break;
      const [place, text] = newest.buffer.shift()!;
      examined++;
      last = place;
      const record = toRecord(newest.kind, place, text);
      if (record !== undefined && matchesAuditQuery(record, query)) entries.push(record);
    }
    if (entries.length > query.limit) {
      entries.pop();
      return { entries, next: entries[entries.length - 1]!.id };
    }
    const more = heads.some((head) => head.buffer.length > 0 || head.end !== undefined);
    return more && last !== undefined ? { entries, next: cursorOf(last) } : { entries };
  }

  async recent(limit: number): Promise<AuditRecord[]> {
    return [...(await this.query({ limit })).entries];
  }

  async #fill(head: Head): Promise<void> {
    const rows = await this.client.xrevrange(STREAMS[head.kind], head.end!, '-', 'COUNT', CHUNK).catch(storeUnavailable);
    head.buffer = rows.map(([id, fields]) => [parsePlace(`${id}.${RANK[head.kind]}`), fields[1] ?? '']);
    head.end = rows.length < CHUNK ? undefined : `(${rows[rows.length - 1]![0]}`;
  }
}

function parsePlace(position: string): Place {
  const [, ms, seq, rank] = POSITION.exec(position)!;
  return { ms: Number(ms), seq: Number(seq), rank: Number(rank) };
}

function compare(a: Place, b: Place): number {
  return a.ms - b.ms || a.seq - b.seq || a.rank - b.rank;
}

function cursorOf(place: Place): string {
  return encodeAuditCursor('r', `${place.ms}-${place.seq}.${place.rank}`);
}

function toRecord(kind: AuditKind, place: Place, text: string): AuditRecord | undefined {
  try {
    return { id: cursorOf(place), kind, ...(JSON.parse(text) as Omit<AuditRecord, 'id' | 'kind'>) };
  } catch {
    return undefined; // not written by this trail
  }
}
