// Opens the store the `store` section names: the one place a store family is chosen from the config.
import type { StoreConfig } from '../config/types.js';
import { MemoryStore } from './memory/memory-store.js';
import { RedisStore } from './redis/redis-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';

/**
 * Redis when a URL is configured (not awaited); otherwise the embedded store on `store.path`, opened and locked now
 * (throws PG_STORE_FILE_UNUSABLE when the file cannot be used), or in memory for `store.path: memory`.
 */
export function openStore(config: StoreConfig): MemoryStore | SqliteStore | RedisStore {
  if (config.redis !== undefined) return new RedisStore(config.redis, { commandTimeout: config.commandTimeout });
  return config.path === undefined ? new MemoryStore() : SqliteStore.open(config.path);
}
