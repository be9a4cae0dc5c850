// Every store family, opened the way the gateway opens it, for the contract tests: each port's contract runs once
// per family listed here, on the parts that family's Store makes. A new backend is one folder under src/stores/ and
// one line in STORE_FAMILIES. Redis runs on each topology the gateway supports (issue 12): one node, a Sentinel group
// and a Cluster; a topology of several processes starts once per test file and is emptied before each store opens.
import { Cluster, Redis } from 'ioredis';
import tap, { type Test } from 'tap';
import { MemoryStore } from '../../src/stores/memory/memory-store.js';
import { RedisStore } from '../../src/stores/redis/redis-store.js';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import type { RedisTarget } from '../../src/stores/redis/redis-connection.js';
import type { Store, StoreKind } from '../../src/stores/store.js';
import { startPrivateRedis } from './private-redis.js';
import { startRedisCluster } from './redis-cluster.js';
import { startRedisSentinel } from './redis-sentinel.js';
import { stateFile } from './state-file.js';

export interface StoreFamily {
  readonly kind: StoreKind;
  /** The family and, for Redis, its topology: what a contract's title names. */
  readonly name: string;
  /** A store of this family of the test's own (a private file, a private redis-server), closed when the test ends. */
  open(t: Test): Promise<Store>;
}

export const STORE_FAMILIES: readonly StoreFamily[] = [
  { kind: 'memory', name: 'memory', open: async () => new MemoryStore() },
  {
    kind: 'sqlite',
    name: 'sqlite',
    async open(t) {
      const { path } = await stateFile(t);
      const store = SqliteStore.open(path);
      t.teardown(() => store.close());
      return store;
    },
  },
  {
    kind: 'redis',
    name: 'redis',
    open: privateRedisStore,
  },
  {
    kind: 'redis',
    name: 'redis-sentinel',
    async open(t) {
      const topology = await once('sentinel', async () => {
        const sentinel = await startRedisSentinel();
        const target = { sentinels: sentinel.sentinels, name: sentinel.name };
        return { target, empty: () => withClient(new Redis({ sentinels: target.sentinels.map(address), name: target.name }), (c) => c.flushall()), close: sentinel.close };
      });
      return openRedisStore(t, topology);
    },
  },
  {
    kind: 'redis',
    name: 'redis-cluster',
    async open(t) {
      const topology = await once('cluster', async () => {
        const cluster = await startRedisCluster();
        const target = { cluster: cluster.nodes };
        const empty = (): Promise<unknown> =>
          withClient(new Cluster(target.cluster.map(address)), async (c) => {
            await new Promise((resolve) => (c.status === 'ready' ? resolve(undefined) : c.once('ready', resolve)));
            return Promise.all(c.nodes('master').map((node) => node.flushall()));
          });
        return { target, empty, close: cluster.close };
      });
      return openRedisStore(t, topology);
    },
  },
];

interface SharedTopology {
  readonly target: RedisTarget;
  /** Empties every master, so each store opens on nothing, as a fresh single node would. */
  empty(): Promise<unknown>;
  close(): Promise<void>;
}

const topologies = new Map<string, Promise<SharedTopology>>();

/** Starts a topology the first time a test file asks for it; stopped when the file's tests end. */
function once(name: string, start: () => Promise<SharedTopology>): Promise<SharedTopology> {
  let started = topologies.get(name);
  if (started === undefined) {
    started = start();
    topologies.set(name, started);
    tap.teardown(async () => (await started!).close());
  }
  return started;
}

async function openRedisStore(t: Test, topology: SharedTopology): Promise<Store> {
  await topology.empty();
  const store = new RedisStore(topology.target, { commandTimeout: 200 });
  t.teardown(() => store.close());
  await store.ready(5_000);
  return store;
}

function address(text: string): { host: string; port: number } {
  const [host, port] = text.split(':');
  return { host: host!, port: Number(port) };
}

async function withClient<C extends Redis | Cluster, T>(client: C, use: (client: C) => Promise<T>): Promise<T> {
  try {
    return await use(client);
  } finally {
    client.disconnect();
  }
}

/** Runs `contract` as one subtest per family, named by `title`. */
export function forEachStoreFamily(t: Test, title: (family: string) => string, contract: (t: Test, store: Store) => Promise<void>): void {
  for (const family of STORE_FAMILIES) t.test(title(family.name), async (t) => contract(t, await family.open(t)));
}

/** A Redis store on a private redis-server of the test's own, both closed when the test ends. */
export async function privateRedisStore(t: Test): Promise<RedisStore> {
  const redis = await startPrivateRedis();
  const store = new RedisStore(redis.url, { commandTimeout: 200 });
  t.teardown(async () => {
    await store.close();
    await redis.close();
  });
  await store.ready(2_000);
  return store;
}
