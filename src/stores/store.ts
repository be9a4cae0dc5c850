// The shared-state seam. Each stage that keeps state (revocations, counters, RBAC data) defines a small store
// interface beside itself and gets a memory/ and a redis/ implementation here; this file holds what they share.
import type { StoreConfig } from '../config/types.js';
import { MemoryStore } from './memory/memory-store.js';
import { RedisStore } from './redis/redis-store.js';

export type StoreKind = 'memory' | 'redis';

export interface StoreStatus {
  readonly kind: StoreKind;
  /** True when commands can be served now. The memory store always is. */
  readonly ready: boolean;
  /** Why it is not ready, for /readyz. Never holds a URL or password. */
  readonly detail?: string;
}

export interface Store {
  readonly kind: StoreKind;
  status(): StoreStatus;
  close(): Promise<void>;
}

/** The embedded in-memory store when no Redis is configured; otherwise a Redis connection (not awaited). */
export function openStore(config: StoreConfig): MemoryStore | RedisStore {
  return config.redis === undefined ? new MemoryStore() : new RedisStore(config.redis, { commandTimeout: config.commandTimeout });
}
