// Buckets shared by every instance, checked and updated on Redis atomically (so instances together never admit more
// than the limit), on Redis's clock (so instances' clocks do not matter).
//
// Requests that arrive in the same turn of the event loop share one script call: each request's buckets are still
// checked and spent all-or-nothing, in arrival order, exactly as separate calls run back to back would, but the
// client, the socket and Redis pay one command for the lot. Under load that is the difference between a Redis call
// per request and one per batch (README, Benchmarks); a request alone waits for nothing but the end of the turn.
//
// A late answer is not a missing one: once sent, a script may run whether or not its caller still waits, so giving up
// on a Redis that is merely behind spends the budget twice, once in Redis and once in the local share. Calls wait under
// the request path's adaptive deadline (adaptive-deadline.ts); only a silent Redis hands over to the local share.
//
// On one node and through Sentinel, every key carries the tag `{permgate:rate}` and a batch is one script call. On a
// Cluster the keys spread over every master by what they limit, shared buckets (global, route) are leased in slices,
// and a batch is one call per master in parallel, all-or-nothing across them by compensating refunds: the design and
// why it never admits more than the limit are in spread-batch.ts and bucket-leases.ts.
import { Cluster } from 'ioredis';
import type { RedisClient } from './redis-connection.js';
import type { BucketCheck, RateDecision, RateLimitStore } from '../../ratelimit/rate-limit-store.js';
import { AdaptiveDeadline, StoreSilentError } from './adaptive-deadline.js';
import { BucketLeases } from './bucket-leases.js';
import { CONSUME_CROSS_SLOT_SCRIPT, CONSUME_SCRIPT, LEASE_SCRIPT, REFUND_CROSS_SLOT_SCRIPT } from './rate-scripts.js';
import { consumeSpread, giveBack, type PendingRequest, type SpreadCommands } from './spread-batch.js';

/** On one node (or Sentinel) all keys share one hash tag: a single node has no slot rule, and old keys are found. */
export const RATE_KEY_PREFIX = '{permgate:rate}:';

/** At most this many requests per script call, so one call never holds Redis for long. */
export const MAX_BATCH = 64;

/** Thrown when Redis answered nothing within the deadline: the limiter's cue for its local share. */
export class RateStoreSilentError extends StoreSilentError {
  override readonly code = 'PG_RATE_STORE_SILENT';
}

type RateCommands = RedisClient & { permgateConsumeBatch(numKeys: number, ...args: (string | number)[]): Promise<(number | string)[]> };

export class RedisRateLimitStore implements RateLimitStore {
  readonly #client: RateCommands;
  /** Set on a Cluster: buckets spread over the masters, shared ones leased (spread-batch.ts). */
  readonly #spread: { readonly client: SpreadCommands; readonly leases: BucketLeases } | undefined;
  #queue: PendingRequest[] = [];
  #scheduled = false;
  readonly #deadline: AdaptiveDeadline;

  /**
   * `client` must not time commands out sooner than the deadline's maxWaitMs (the store keeps its own deadline); the
   * deadline is the connection's, shared with whatever else waits on it.
   */
  constructor(client: RedisClient, deadline: AdaptiveDeadline = new AdaptiveDeadline({ deadlineMs: 50 })) {
    if (!('permgateConsumeBatch' in client)) client.defineCommand('permgateConsumeBatch', { lua: CONSUME_SCRIPT });
    this.#client = client as RateCommands;
    if (client instanceof Cluster) {
      // A fixed key count: ioredis's auto-pipelining routes a custom command by its first argument, which must then
      // be the key (a leading key count would send it to the master of the slot of "1").
      if (!('permgateLease' in client)) {
        client.defineCommand('permgateConsumeCrossSlot', { lua: CONSUME_CROSS_SLOT_SCRIPT, numberOfKeys: 1 });
        client.defineCommand('permgateRefundCrossSlot', { lua: REFUND_CROSS_SLOT_SCRIPT, numberOfKeys: 1 });
        client.defineCommand('permgateLease', { lua: LEASE_SCRIPT, numberOfKeys: 1 });
      }
      const spreadClient = client as SpreadCommands;
      this.#spread = { client: spreadClient, leases: new BucketLeases((key, amountMs, tat) => giveBack(spreadClient, [{ key, amountMs, tat }])) };
    }
    this.#deadline = deadline;
  }

  /** Calls whose deadline passed while Redis was still answering older ones: waited for, not failed. */
  lateCalls = 0;
  readonly #lateListeners: (() => void)[] = [];

  onLateCall(listener: () => void): void {
    this.#lateListeners.push(listener);
  }

  readonly #late = (): void => {
    this.lateCalls++;
    for (const listener of this.#lateListeners) listener();
  };

  consume(checks: readonly BucketCheck[]): Promise<RateDecision> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ checks, resolve, reject });
      if (this.#scheduled) return;
      this.#scheduled = true;
      // After the I/O callbacks of this turn: every request parsed in it joins the batch.
      setImmediate(this.#flush);
    });
  }

  readonly #flush = (): void => {
    this.#scheduled = false;
    const queue = this.#queue;
    this.#queue = [];
    for (let i = 0; i < queue.length; i += MAX_BATCH) {
      const batch = queue.slice(i, i + MAX_BATCH);
      if (this.#spread === undefined) void this.#send(batch);
      else {
        // A fault of the splitting itself fails the batch like a Redis error (a request already decided stays so).
        consumeSpread(batch, { ...this.#spread, answered: (call) => this.#answered(call) }).catch((err: unknown) => {
          for (const pending of batch) pending.reject(err);
        });
      }
    }
  };

  async #send(batch: readonly PendingRequest[]): Promise<void> {
    const index = new Map<string, number>();
    const keys: string[] = [];
    const argv: number[] = [];
    for (const { checks } of batch) {
      argv.push(checks.length);
      for (const check of checks) {
        let k = index.get(check.key);
        if (k === undefined) {
          k = keys.push(RATE_KEY_PREFIX + check.key);
          index.set(check.key, k);
        }
        argv.push(k, check.rate.limit, check.rate.windowMs);
      }
    }
    let reply: (number | string)[];
    try {
      reply = await this.#answered(this.#client.permgateConsumeBatch(keys.length, ...keys, ...argv));
    } catch (err) {
      for (const pending of batch) pending.reject(err);
      return;
    }
    let at = 0;
    for (const { checks, resolve } of batch) {
      const refusedAt = Number(reply[at]) - 1;
      const retryAfterMs = Number(reply[at + 1]);
      const buckets = checks.map((_, i) => ({ remaining: Number(reply[at + 2 + 3 * i]), resetMs: Number(reply[at + 3 + 3 * i]) }));
      at += 2 + 3 * checks.length;
      resolve({ refusedAt, retryAfterMs, buckets });
    }
  }

  #answered<T>(call: Promise<T>): Promise<T> {
    return this.#deadline.answered(call, { silent: silentRateStore, onLate: this.#late });
  }
}

/** The limiter's error for a silent Redis (its cue for the local share). */
function silentRateStore(waitedMs: number): RateStoreSilentError {
  return new RateStoreSilentError(`the shared store answered nothing for ${waitedMs} ms`);
}
