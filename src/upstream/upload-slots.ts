// Streamed uploads open per client address. A streamed body holds an upstream connection for as long as the client
// takes to send it, so one address may only hold a few at once (429 beyond): a handful of clients cannot take a
// whole pool. Buffered bodies (request-body.ts) hold no upstream connection while they arrive and are not counted.
import { addressBucket } from '../ratelimit/rate-limiter.js';

export class UploadSlots {
  readonly #open = new Map<string, number>();

  /** Takes a slot for `client` unless it already holds `cap`; the returned function gives it back (once). */
  take(client: string, cap: number): (() => void) | undefined {
    const key = addressBucket(client);
    const held = this.#open.get(key) ?? 0;
    if (held >= cap) return undefined;
    this.#open.set(key, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#open.get(key) ?? 1) - 1;
      if (left <= 0) this.#open.delete(key);
      else this.#open.set(key, left);
    };
  }
}
