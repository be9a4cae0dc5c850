// Slices of the buckets every client shares (global, route), leased by this instance on a Cluster (issue 12,
// "Cluster keys"). Such a bucket's key lives in one slot; spending it per request would send every request of the
// fleet to that slot's master. Instead an instance spends a slice of cells in Redis at once (LEASE_SCRIPT) and hands
// them out here, one per request, with no Redis call.
//
// Exactness: a leased cell is spent in Redis before it is handed out, so the fleet never admits more than the bucket
// grants. What a lease costs: cells one instance holds are not available to the others (at most one slice per
// instance and bucket, LEASE_FRACTION of the limit), and a cell spent in Redis at lease time is used up to
// leaseLifeMs later (a slight shift in time, bounded the same way). Unused cells go back when the lease expires.
import type { Rate } from '../../config/units.js';
import type { BucketResult } from '../../ratelimit/rate-limit-store.js';

/** A lease takes at most this fraction of a bucket's limit beyond the requests waiting for it (and at least 1 cell). */
export const LEASE_FRACTION = 0.01;

/** Cells asked for when `waiting` requests need one each: what they need, or a slice if that is more. */
export function leaseSize(rate: Rate, waiting: number): number {
  return Math.max(waiting, Math.floor(rate.limit * LEASE_FRACTION), 1);
}

/** How long leased cells may be handed out: a hundredth of the window, between 10 ms and 1 s. */
export function leaseLifeMs(rate: Rate): number {
  return Math.min(1_000, Math.max(10, rate.windowMs / 100));
}

/** Unused cells given back to Redis: `amountMs` of TAT, guarded by the TAT the lease made (REFUND_CROSS_SLOT_SCRIPT). */
export type ReturnCells = (key: string, amountMs: number, tat: string) => void;

/** Cells leased from one bucket, and what Redis said of the bucket then (for the RateLimit headers). */
export interface Lease {
  cells: number;
  readonly interval: number;
  tat: string;
  /** Cells still in Redis's bucket after the grant, by performance.now() at `resetAt`. */
  readonly remaining: number;
  readonly resetAt: number;
  returned: boolean;
}

export interface LeaseGrant {
  readonly granted: number;
  readonly remaining: number;
  readonly resetMs: number;
  readonly tat: string;
}

export class BucketLeases {
  readonly #leases = new Map<string, Lease>();
  readonly #giveBack: ReturnCells;

  constructor(giveBack: ReturnCells) {
    this.#giveBack = giveBack;
  }

  /** One cell of `key`'s current lease, or undefined when there is none left (a lease call is then needed). */
  take(key: string): { lease: Lease; result: BucketResult } | undefined {
    const lease = this.#leases.get(key);
    if (lease === undefined || lease.returned || lease.cells === 0) return undefined;
    lease.cells--;
    return { lease, result: resultOf(lease) };
  }

  /** A cell taken for a request that another bucket refused: back in the lease, or lost if the lease expired meanwhile. */
  untake(lease: Lease): void {
    if (!lease.returned) lease.cells++;
  }

  /**
   * Redis granted `grant.granted` cells for requests that found no lease: `waiting` of them are used at once; the
   * rest become (or join) the current lease, which expires after leaseLifeMs.
   */
  store(key: string, rate: Rate, grant: LeaseGrant, used: number): Lease {
    const interval = rate.windowMs / rate.limit;
    const lease: Lease = { cells: grant.granted - used, interval, tat: grant.tat, remaining: grant.remaining, resetAt: performance.now() + grant.resetMs, returned: false };
    const current = this.#leases.get(key);
    if (current !== undefined && !current.returned && current.cells > 0) {
      // The later grant's TAT covers both: one guarded return gives back the cells of the two.
      current.cells += lease.cells;
      current.tat = Number(grant.tat) > Number(current.tat) ? grant.tat : current.tat;
      return current;
    }
    // Kept even when empty: a cell given back by a refused request (untake) returns with it at expiry.
    this.#leases.set(key, lease);
    setTimeout(() => this.#expire(key, lease), leaseLifeMs(rate)).unref();
    return lease;
  }

  #expire(key: string, lease: Lease): void {
    lease.returned = true;
    if (this.#leases.get(key) === lease) this.#leases.delete(key);
    if (lease.cells > 0) this.#giveBack(key, lease.cells * lease.interval, lease.tat);
  }
}

/** What the RateLimit headers say of a leased bucket: Redis's remaining cells plus those this lease still holds. */
export function resultOf(lease: Lease): BucketResult {
  return { remaining: lease.remaining + lease.cells, resetMs: Math.max(0, Math.ceil(lease.resetAt - performance.now())) };
}
