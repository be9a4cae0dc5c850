// Where a bucket lives on a Redis Cluster (issue 12, "Cluster keys"): each key carries a hash tag naming what the
// bucket limits (the user, the address, the route), so the fleet's buckets spread over every slot, and a request's
// user and user+route buckets (or ip and ip+route) still share one. Keys are grouped by the master that serves their
// slot, so a batch costs one script call per master, sent in parallel: one round-trip.
//
// One node and Sentinel keep the single tag `{permgate:rate}` (redis-rate-limit-store.ts): a single node has no slot
// rule, and budgets spent before an upgrade are still found. Moving from one node to a Cluster is a new Redis anyway;
// what a bucket remembers lasts one window at most.
import calculateSlot from 'cluster-key-slot';
import type { Cluster } from 'ioredis';

/** The key of the bucket `key` on a Cluster, in the slot of `owner`. */
export function clusterKey(owner: string, key: string): string {
  // A brace in the owner would end the tag early: still a valid key, but users sharing a prefix would share a slot.
  return `permgate:rate:{${owner.replace(/[{}]/g, (c) => (c === '{' ? '%7B' : '%7D'))}}:${key}`;
}

/** The master serving `key`'s slot as the client last saw the slot map, or the slot itself while it is unknown. */
export function masterOf(client: Cluster, key: string): string {
  const slot = calculateSlot(key);
  return client.slots[slot]?.[0] ?? `slot ${slot}`;
}
