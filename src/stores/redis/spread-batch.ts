// One batch of requests on a Redis Cluster whose buckets spread over every master (issue 12, "Cluster keys").
//
// Each request's buckets are split by the master serving them (cluster-placement.ts); each master gets one script
// call for the whole batch, and all calls go out at once, so a batch still costs one round-trip. Buckets every client
// shares (global, route) are taken from a lease (bucket-leases.ts) instead, and a lease runs short only once per
// slice, its refill sent alongside the masters' calls.
//
// All-or-nothing across masters, never over the limit: each master checks and spends its part of a request on its
// own. When a part was refused elsewhere, the parts that spent are given back by a compensating call (the TAT moves
// back by the interval; REFUND_CROSS_SLOT_SCRIPT) and leased cells return to the lease. Between the spend and the
// refund the budget holds one request too many, so the limiter can only be stricter meanwhile, never looser; and a
// refund that could credit a bucket which has been full since is dropped. Refusals are the rare case, so a request
// still costs one round-trip on average. A part that fails (an error, or no answer within the deadline) fails its
// whole request, whose other parts are given back the same way.
import type { Cluster } from 'ioredis';
import type { BucketCheck, BucketResult, RateDecision } from '../../ratelimit/rate-limit-store.js';
import { resultOf, leaseSize, type BucketLeases, type Lease } from './bucket-leases.js';
import { clusterKey, masterOf } from './cluster-placement.js';

type Reply = readonly (number | string)[];

/** The scripts of rate-scripts.ts as commands of a Cluster client (defined by redis-rate-limit-store.ts). */
export type SpreadCommands = Cluster & {
  permgateConsumeCrossSlot(key: string, ...args: (string | number)[]): Promise<Reply>;
  permgateRefundCrossSlot(key: string, ...args: (string | number)[]): Promise<number>;
  permgateLease(key: string, want: number, limit: number, windowMs: number): Promise<Reply>;
};

export interface PendingRequest {
  readonly checks: readonly BucketCheck[];
  resolve(decision: RateDecision): void;
  reject(err: unknown): void;
}

export interface SpreadDeps {
  readonly client: SpreadCommands;
  readonly leases: BucketLeases;
  /** The store's adaptive deadline around one call. */
  answered<T>(call: Promise<T>): Promise<T>;
}

/** A spend on a master, kept until the request is decided, to be given back if another part refused. */
interface Spend {
  readonly key: string;
  readonly amountMs: number;
  readonly tat: string;
}

/** One request's decision, assembled from its parts. */
class Assembly {
  /** Each bucket's key on the Cluster, by the check's index. */
  readonly keys: readonly string[];
  readonly buckets: BucketResult[];
  refusedAt = Infinity;
  retryAfterMs = 0;
  readonly spends: Spend[] = [];
  readonly cells: Lease[] = [];
  failed = false;
  error: unknown;

  constructor(readonly pending: PendingRequest) {
    this.keys = pending.checks.map((check) => clusterKey(check.owner ?? check.key, check.key));
    this.buckets = pending.checks.map(() => ({ remaining: 0, resetMs: 0 }));
  }

  refuse(index: number, retryAfterMs: number): void {
    this.refusedAt = Math.min(this.refusedAt, index);
    this.retryAfterMs = Math.max(this.retryAfterMs, retryAfterMs);
  }

  fail(err: unknown): void {
    if (!this.failed) this.error = err;
    this.failed = true;
  }
}

/** The keys and arguments of one master's script call, and which request each part belongs to. */
interface MasterCall {
  readonly keys: string[];
  readonly index: Map<string, number>;
  readonly argv: (string | number)[];
  readonly parts: { readonly request: Assembly; readonly indexes: readonly number[] }[];
}

/** Requests that found no leased cell of one shared bucket, in arrival order. */
interface LeaseCall {
  readonly rate: BucketCheck['rate'];
  readonly takers: { readonly request: Assembly; readonly index: number }[];
}

export async function consumeSpread(batch: readonly PendingRequest[], deps: SpreadDeps): Promise<void> {
  const requests = batch.map((pending) => new Assembly(pending));
  const masters = new Map<string, MasterCall>();
  const leaseCalls = new Map<string, LeaseCall>();
  for (const request of requests) {
    const byMaster = new Map<string, number[]>();
    request.pending.checks.forEach((check, i) => {
      const key = request.keys[i]!;
      if (check.shared) {
        const taken = deps.leases.take(key);
        if (taken !== undefined) {
          request.buckets[i] = taken.result;
          request.cells.push(taken.lease);
          return;
        }
        const call = leaseCalls.get(key) ?? { rate: check.rate, takers: [] };
        leaseCalls.set(key, call);
        call.takers.push({ request, index: i });
        return;
      }
      const master = masterOf(deps.client, key);
      byMaster.set(master, [...(byMaster.get(master) ?? []), i]);
    });
    for (const [master, indexes] of byMaster) {
      let call = masters.get(master);
      if (call === undefined) masters.set(master, (call = { keys: [], index: new Map(), argv: [], parts: [] }));
      call.parts.push({ request, indexes });
      call.argv.push(indexes.length);
      for (const i of indexes) {
        const check = request.pending.checks[i]!;
        const key = request.keys[i]!;
        let k = call.index.get(key);
        if (k === undefined) {
          k = call.keys.push(key);
          call.index.set(key, k);
        }
        call.argv.push(k, check.rate.limit, check.rate.windowMs);
      }
    }
  }
  await Promise.all([
    ...[...masters.values()].map((call) => sendMasterCall(call, deps)),
    ...[...leaseCalls].map(([key, call]) => sendLeaseCall(key, call, deps)),
  ]);
  const refunds: Spend[] = [];
  for (const request of requests) {
    const { pending } = request;
    if (!request.failed && request.refusedAt === Infinity) {
      pending.resolve({ refusedAt: -1, retryAfterMs: 0, buckets: request.buckets });
      continue;
    }
    refunds.push(...request.spends);
    for (const lease of request.cells) deps.leases.untake(lease);
    if (request.failed) pending.reject(request.error);
    else pending.resolve({ refusedAt: request.refusedAt, retryAfterMs: request.retryAfterMs, buckets: request.buckets });
  }
  if (refunds.length > 0) giveBack(deps.client, refunds);
}

async function sendMasterCall(call: MasterCall, deps: SpreadDeps): Promise<void> {
  let reply: Reply;
  try {
    reply = await deps.answered(deps.client.permgateConsumeCrossSlot(call.keys[0]!, call.keys.length, ...call.keys, ...call.argv));
  } catch (err) {
    for (const { request } of call.parts) request.fail(err);
    return;
  }
  let at = 0;
  for (const { request, indexes } of call.parts) {
    const refused = Number(reply[at]);
    const retryAfterMs = Number(reply[at + 1]);
    indexes.forEach((i, j) => {
      request.buckets[i] = { remaining: Number(reply[at + 2 + 3 * j]), resetMs: Number(reply[at + 3 + 3 * j]) };
    });
    if (refused > 0) request.refuse(indexes[refused - 1]!, retryAfterMs);
    else {
      indexes.forEach((i, j) => {
        const { rate } = request.pending.checks[i]!;
        request.spends.push({ key: request.keys[i]!, amountMs: rate.windowMs / rate.limit, tat: String(reply[at + 4 + 3 * j]) });
      });
    }
    at += 2 + 3 * indexes.length;
  }
}

async function sendLeaseCall(key: string, call: LeaseCall, deps: SpreadDeps): Promise<void> {
  const { rate, takers } = call;
  let reply: Reply;
  try {
    reply = await deps.answered(deps.client.permgateLease(key, leaseSize(rate, takers.length), rate.limit, rate.windowMs));
  } catch (err) {
    for (const { request } of takers) request.fail(err);
    return;
  }
  const [granted, retryAfterMs, remaining, resetMs, tat] = [Number(reply[0]), Number(reply[1]), Number(reply[2]), Number(reply[3]), String(reply[4])];
  const used = Math.min(granted, takers.length);
  const lease = deps.leases.store(key, rate, { granted, remaining, resetMs, tat }, used);
  takers.forEach(({ request, index }, n) => {
    if (n < used) {
      request.buckets[index] = resultOf(lease);
      request.cells.push(lease);
      return;
    }
    // Fewer cells than takers: the bucket is exhausted; the next cell comes one interval after the last one granted.
    request.buckets[index] = { remaining: 0, resetMs };
    request.refuse(index, granted === 0 ? retryAfterMs : Math.ceil(rate.windowMs / rate.limit));
  });
}

/** One compensating call per master; a refund that fails leaves the limiter stricter, never looser: nothing to retry. */
export function giveBack(client: SpreadCommands, spends: readonly Spend[]): void {
  const byMaster = new Map<string, Spend[]>();
  for (const spend of spends) {
    const master = masterOf(client, spend.key);
    byMaster.set(master, [...(byMaster.get(master) ?? []), spend]);
  }
  for (const group of byMaster.values()) {
    const keys = [...new Set(group.map((spend) => spend.key))];
    const index = new Map(keys.map((key, i) => [key, i + 1]));
    const triples = group.flatMap((spend) => [index.get(spend.key)!, spend.amountMs, spend.tat]);
    client.permgateRefundCrossSlot(keys[0]!, keys.length, ...keys, ...triples).catch(() => {});
  }
}
