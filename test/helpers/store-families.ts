// Every store family, opened the way the gateway opens it, for the contract tests: each port's contract runs once
// per family listed here, on the parts that family's Store makes. A new backend is one folder under src/stores/ and
// one line in STORE_FAMILIES.
import type { Test } from 'tap';
import { MemoryStore } from '../../src/stores/memory/memory-store.js';
import { RedisStore } from '../../src/stores/redis/redis-store.js';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import type { Store, StoreKind } from '../../src/stores/store.js';
import { startPrivateRedis } from './private-redis.js';
import { stateFile } from './state-file.js';

export interface StoreFamily {
  readonly kind: StoreKind;
  /** A store of this family of the test's own (a private file, a private redis-server), closed when the test ends. */
  open(t: Test): Promise<Store>;
}

export const STORE_FAMILIES: readonly StoreFamily[] = [
  { kind: 'memory', open: async () => new MemoryStore() },
  {
    kind: 'sqlite',
    async open(t) {
      const { path } = await stateFile(t);
      const store = SqliteStore.open(path);
      t.teardown(() => store.close());
      return store;
    },
  },
  {
    kind: 'redis',
    async open(t) {
      const redis = await startPrivateRedis();
      const store = new RedisStore(redis.url, { commandTimeout: 200 });
      t.teardown(async () => {
        await store.close();
        await redis.close();
      });
      await store.ready(2_000);
      return store;
    },
  },
];

/** Runs `contract` as one subtest per family, named by `title`. */
export function forEachStoreFamily(t: Test, title: (kind: StoreKind) => string, contract: (t: Test, store: Store) => Promise<void>): void {
  for (const family of STORE_FAMILIES) t.test(title(family.kind), async (t) => contract(t, await family.open(t)));
}
