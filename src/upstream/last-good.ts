// The last good (2xx) response to a GET, kept per route, caller and URL, to answer with while the route's breaker is
// open (`fallback: { lastGood }`). Keyed by caller and tenant too: a response may be personal, and one caller's copy
// must never be served to another. Bounded in entries and body size; stale past maxAge.
import { Transform } from 'node:stream';
import { LRUCache } from 'lru-cache';

export interface StoredResponse {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: Buffer;
  /** Milliseconds since the epoch when it was stored. */
  readonly storedAt: number;
}

export class LastGoodCache {
  readonly #entries: LRUCache<string, StoredResponse>;

  constructor(readonly maxEntries: number, readonly maxAge: number, readonly maxBodySize: number) {
    this.#entries = new LRUCache({ max: maxEntries, maxSize: maxEntries * Math.max(1, maxBodySize), sizeCalculation: (value) => Math.max(1, value.body.length) });
  }

  static key(subject: string | undefined, tenant: string | undefined, method: string, path: string, query: string): string {
    return `${subject ?? ''}\u0000${tenant ?? ''}\u0000${method} ${path}${query}`;
  }

  get(key: string, now: number): StoredResponse | undefined {
    const entry = this.#entries.get(key);
    return entry !== undefined && now - entry.storedAt < this.maxAge ? entry : undefined;
  }

  /** Passes the body through unchanged, and stores it once it has ended complete and within maxBodySize. */
  capture(key: string, status: number, contentType: string | undefined, now: () => number): Transform {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    const entries = this.#entries;
    const limit = this.maxBodySize;
    return new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        if (!tooBig) {
          size += chunk.length;
          if (size > limit) {
            tooBig = true;
            chunks.length = 0;
          } else chunks.push(chunk);
        }
        callback(null, chunk);
      },
      flush(callback) {
        if (!tooBig) entries.set(key, { status, contentType, body: Buffer.concat(chunks), storedAt: now() });
        callback();
      },
    });
  }
}
