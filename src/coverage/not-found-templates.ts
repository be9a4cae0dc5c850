// Requests the gateway answered 404 (no route), grouped by method and path template: what the backend may serve that
// the route map does not cover. Identifier-like segments become `{id}` so `/users/1` and `/users/2` are one line; the
// number of templates is capped, so a scan of random paths costs a bounded amount of memory.
import { HTTP_METHODS } from '../config/types.js';

export interface NotFoundTemplate {
  readonly method: string;
  readonly template: string;
  readonly count: number;
  /** Milliseconds since the epoch. */
  readonly firstSeen: number;
  readonly lastSeen: number;
}

interface Entry {
  count: number;
  firstSeen: number;
  lastSeen: number;
}

/** Segments kept; a deeper path ends in `/**`. */
const MAX_SEGMENTS = 8;
/** A segment longer than this is an identifier whatever its characters (tokens, encoded blobs). */
const MAX_SEGMENT = 40;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NUMBER = /^-?\d+(?:\.\d+)?$/;
const HEX = /^(?=[0-9a-f]*\d)[0-9a-f]{16,}$/i;
/** Letters and digits mixed, 16 characters or more: a generated key rather than a word (`a8Xk2…`). */
const TOKEN = /^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_-]{16,}$/;

/**
 * @example pathTemplate(['users', '42', 'orders', '3f2a…uuid']) // '/users/{id}/orders/{id}'
 */
export function pathTemplate(segments: readonly string[]): string {
  const kept = segments.slice(0, MAX_SEGMENTS).map((s) => (s.length > MAX_SEGMENT || NUMBER.test(s) || UUID.test(s) || HEX.test(s) || TOKEN.test(s) ? '{id}' : s));
  return '/' + kept.join('/') + (segments.length > MAX_SEGMENTS ? '/**' : '');
}

export class NotFoundTemplates {
  readonly #entries = new Map<string, Entry>();
  readonly #cap: number;
  /** 404s whose template was new while the cap was reached: counted, not kept. */
  #dropped = 0;

  constructor(cap: number) {
    this.#cap = cap;
  }

  get cap(): number {
    return this.#cap;
  }

  get dropped(): number {
    return this.#dropped;
  }

  record(method: string, segments: readonly string[], now: number): void {
    // The method is the client's: any other word would be a key of its own choosing.
    const m = (HTTP_METHODS as readonly string[]).includes(method) ? method : 'OTHER';
    const key = `${m} ${pathTemplate(segments)}`;
    const entry = this.#entries.get(key);
    if (entry !== undefined) {
      entry.count++;
      entry.lastSeen = now;
    } else if (this.#entries.size < this.#cap) {
      this.#entries.set(key, { count: 1, firstSeen: now, lastSeen: now });
    } else {
      this.#dropped++;
    }
  }

  /** Templates seen at or after `since`, most requested first. Counts are since each was first seen. */
  since(since: number): NotFoundTemplate[] {
    const out: NotFoundTemplate[] = [];
    for (const [key, entry] of this.#entries) {
      if (entry.lastSeen < since) continue;
      const space = key.indexOf(' ');
      out.push({ method: key.slice(0, space), template: key.slice(space + 1), ...entry });
    }
    return out.sort((a, b) => b.count - a.count || a.template.localeCompare(b.template));
  }
}
