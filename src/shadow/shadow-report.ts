// What shadow mode would have refused, kept in bounded memory for the admin report (GET /admin/shadow/refusals):
// counts per (minute, route, stage, code, missing permission, subject), at most `capacity` such cells, the oldest
// dropped first. A query sums the cells from the minute holding `since` on, by (route, stage, code, permission,
// subject), and says from when its counts are complete (the minute after the newest cell ever dropped).

/** One would-be refusal, as recorded. */
export interface ShadowRefusalFact {
  readonly route: string;
  /** The journey stage that decided (authenticate, check-revocation, guard-ip, rate-limit, authorize). */
  readonly stage: string;
  /** The error code enforcement would have answered with (PG_FORBIDDEN, PG_RATE_LIMITED, PG_TOKEN_MISSING…). */
  readonly code: string;
  /** The permission code the caller lacked (authorize only). */
  readonly permission: string | undefined;
  /** The verified caller; undefined when nobody was verified. */
  readonly subject: string | undefined;
}

export interface ShadowReportQuery {
  /** Milliseconds since the epoch; the minute holding it is counted whole. Absent: everything kept. */
  readonly since?: number;
  readonly route?: string;
  readonly stage?: string;
  readonly code?: string;
  readonly permission?: string;
  readonly subject?: string;
  /** At most this many entries, the largest counts first. */
  readonly limit: number;
}

export interface ShadowReportEntry extends ShadowRefusalFact {
  readonly count: number;
  /** Milliseconds since the epoch of the first and last refusal counted. */
  readonly first: number;
  readonly last: number;
}

export interface ShadowReportAnswer {
  /** Every would-be refusal the entries (all of them, not only those returned) count. */
  readonly total: number;
  readonly entries: readonly ShadowReportEntry[];
  /** More entries matched than `limit`. */
  readonly truncated: boolean;
  /** Counts are exact for a `since` at or after this moment; undefined: nothing was ever dropped. */
  readonly completeSince: number | undefined;
}

const MINUTE = 60_000;
const SEP = '\u0000';

interface Cell extends ShadowRefusalFact {
  readonly minute: number;
  count: number;
  first: number;
  last: number;
}

export class ShadowReport {
  #capacity: number;
  /** Insertion order is time order (a cell is made when its minute's first refusal arrives): the first is the oldest. */
  readonly #cells = new Map<string, Cell>();
  #completeSince: number | undefined;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#cells.size;
  }

  /** A reload may change `shadow.reportEntries`: a smaller bound drops the oldest cells at once. */
  setCapacity(capacity: number): void {
    this.#capacity = capacity;
    this.#shrinkTo(capacity);
  }

  record(at: number, fact: ShadowRefusalFact): void {
    const minute = Math.floor(at / MINUTE);
    const key = `${minute}${SEP}${fact.route}${SEP}${fact.stage}${SEP}${fact.code}${SEP}${fact.permission ?? ''}${SEP}${fact.subject === undefined ? SEP : fact.subject}`;
    const cell = this.#cells.get(key);
    if (cell !== undefined) {
      cell.count++;
      if (at > cell.last) cell.last = at;
      if (at < cell.first) cell.first = at;
      return;
    }
    this.#shrinkTo(this.#capacity - 1);
    this.#cells.set(key, { minute, route: fact.route, stage: fact.stage, code: fact.code, permission: fact.permission, subject: fact.subject, count: 1, first: at, last: at });
  }

  query(query: ShadowReportQuery): ShadowReportAnswer {
    const fromMinute = query.since === undefined ? -Infinity : Math.floor(query.since / MINUTE);
    const sums = new Map<string, { -readonly [K in keyof ShadowReportEntry]: ShadowReportEntry[K] }>();
    let total = 0;
    for (const cell of this.#cells.values()) {
      if (cell.minute < fromMinute) continue;
      if (query.route !== undefined && cell.route !== query.route) continue;
      if (query.stage !== undefined && cell.stage !== query.stage) continue;
      if (query.code !== undefined && cell.code !== query.code) continue;
      if (query.permission !== undefined && cell.permission !== query.permission) continue;
      if (query.subject !== undefined && cell.subject !== query.subject) continue;
      total += cell.count;
      const key = `${cell.route}${SEP}${cell.stage}${SEP}${cell.code}${SEP}${cell.permission ?? ''}${SEP}${cell.subject === undefined ? SEP : cell.subject}`;
      const sum = sums.get(key);
      if (sum === undefined) {
        sums.set(key, { route: cell.route, stage: cell.stage, code: cell.code, permission: cell.permission, subject: cell.subject, count: cell.count, first: cell.first, last: cell.last });
      } else {
        sum.count += cell.count;
        sum.first = Math.min(sum.first, cell.first);
        sum.last = Math.max(sum.last, cell.last);
      }
    }
    const entries = [...sums.values()].sort(
      (a, b) => b.count - a.count || a.route.localeCompare(b.route) || (a.subject ?? '').localeCompare(b.subject ?? '') || a.code.localeCompare(b.code),
    );
    return { total, entries: entries.slice(0, query.limit), truncated: entries.length > query.limit, completeSince: this.#completeSince };
  }

  #shrinkTo(size: number): void {
    for (const [key, cell] of this.#cells) {
      if (this.#cells.size <= size) return;
      this.#cells.delete(key);
      // The dropped cell's minute may have had other cells; from the next minute on, nothing is missing.
      this.#completeSince = Math.max(this.#completeSince ?? -Infinity, (cell.minute + 1) * MINUTE);
    }
  }
}
