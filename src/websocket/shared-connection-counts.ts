// rateLimits.connections across instances: each WebSocket this instance opens also takes its places in the shared
// count (connection-count-store.ts), renews them while it is open and gives them back when it closes. When the shared
// store cannot answer, the handshake goes on under this instance's own bound (the registry's): a limit degrades to a
// local one, never to none.
import { randomUUID } from 'node:crypto';
import type { ConnectionLimits } from '../config/rate-limit-types.js';
import { GatewayError } from '../errors.js';
import { addressBucket } from '../ratelimit/rate-limiter.js';
import type { ConnectionCountStore, CountedPlace } from './connection-count-store.js';

/** How long a count lives without renewal: an instance that dies frees its places within this. */
const LEASE_MS = 30_000;
const RENEW_MS = 10_000;

export class SharedConnectionCounts {
  readonly #store: ConnectionCountStore;
  readonly #now: () => number;
  /** This instance's connections counted in the store, by id, with their keys. */
  readonly #held = new Map<string, readonly string[]>();
  #renewal: NodeJS.Timeout | undefined;

  constructor(store: ConnectionCountStore, now: () => number) {
    this.#store = store;
    this.#now = now;
  }

  /**
   * Takes the places of one more connection of `subject` from `address`: a release function, or the 429 when one
   * place is full across instances.
   */
  async take(subject: string | undefined, address: string, limits: ConnectionLimits): Promise<GatewayError | (() => void)> {
    const places: CountedPlace[] = [];
    if (limits.perSubject !== undefined && subject !== undefined) places.push({ key: `subject:${subject}`, limit: limits.perSubject });
    if (limits.perAddress !== undefined) places.push({ key: `address:${addressBucket(address)}`, limit: limits.perAddress });
    if (places.length === 0) return () => {};
    const id = randomUUID();
    let full: number | undefined;
    try {
      full = await this.#store.take(id, places, this.#now() + LEASE_MS);
    } catch {
      return () => {}; // the store is away: this instance's own bound holds
    }
    if (full !== undefined) {
      return new GatewayError('PG_TOO_MANY_CONNECTIONS', { detail: full === 0 && places[0]!.key.startsWith('subject:') ? `at most ${limits.perSubject} per caller` : `at most ${limits.perAddress} per client address` });
    }
    const keys = places.map((place) => place.key);
    this.#held.set(id, keys);
    this.#renewal ??= setInterval(() => void this.#renew(), RENEW_MS).unref();
    return () => {
      if (!this.#held.delete(id)) return;
      this.#store.release(id, keys).catch(() => {}); // a lapsed lease frees it anyway
    };
  }

  close(): void {
    clearInterval(this.#renewal);
    this.#renewal = undefined;
  }

  async #renew(): Promise<void> {
    const counted = [...this.#held].map(([id, keys]) => ({ id, keys }));
    await this.#store.renew(counted, this.#now() + LEASE_MS).catch(() => {});
  }
}
