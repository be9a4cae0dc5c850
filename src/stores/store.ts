// The shared-state seam. Each stage that keeps state (revocations, counters, RBAC data, the audit trail) defines a
// small store interface beside itself and gets an implementation per family here — memory/, sqlite/ (the embedded
// default, kept across restarts) and redis/ (shared by every instance); this file holds what they share.
import type { StoreConfig } from '../config/types.js';
import { MemoryStore } from './memory/memory-store.js';
import { RedisStore } from './redis/redis-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';

/** `sqlite`: the embedded store on a file; `memory`: embedded, kept nowhere (`store.path: memory`); `redis`: shared. */
export type StoreKind = 'memory' | 'sqlite' | 'redis';

export interface StoreStatus {
  readonly kind: StoreKind;
  /** True when commands can be served now. The embedded stores always are while open. */
  readonly ready: boolean;
  /** Why it is not ready, for /readyz. Never holds a URL or password. */
  readonly detail?: string;
}

export interface Store {
  readonly kind: StoreKind;
  status(): StoreStatus;
  close(): Promise<void>;
}

/**
 * Redis when a URL is configured (not awaited); otherwise the embedded store on `store.path`, opened and locked now
 * (throws PG_STORE_FILE_UNUSABLE when the file cannot be used), or in memory for `store.path: memory`.
 */
export function openStore(config: StoreConfig): MemoryStore | SqliteStore | RedisStore {
  if (config.redis !== undefined) return new RedisStore(config.redis, { commandTimeout: config.commandTimeout });
  return config.path === undefined ? new MemoryStore() : SqliteStore.open(config.path);
}
