// One contract, run against every versioned feed (issue 11 §5), in process and on a private Redis. Every feed
// announces each change once and in order, and a writer has its own change when the write returns. A shared store
// must also reach a second instance, and every way it can miss a change has to end in a resync: a lost announcement,
// a store that lost its data, a dropped subscription, an outage. Close leaves nothing running.
// A new backend is one line in BACKENDS.
import { once } from 'node:events';
import { Redis } from 'ioredis';
import t, { type Test } from 'tap';
import type { Announced, Feed, ResyncReason } from '../../src/stores/feed.js';
import { MemoryFeed } from '../../src/stores/memory/memory-feed.js';
import { feedScript } from '../../src/stores/redis/feed-script.js';
import { RedisFeed } from '../../src/stores/redis/redis-feed.js';
import { RedisStore } from '../../src/stores/redis/redis-store.js';
import type { RedisTarget } from '../../src/stores/redis/redis-connection.js';
import { startPrivateRedis } from '../helpers/private-redis.js';
import { startRedisCluster } from '../helpers/redis-cluster.js';
import { startRedisSentinel } from '../helpers/redis-sentinel.js';
import { testClock, type TestClock } from '../helpers/test-clock.js';

/** The test's store holds a set of names; a change announces the name added. */
interface Change {
  readonly name: string;
}

/** One instance: its feed, its writer, and what its listener made of the announcements. */
interface Instance {
  readonly feed: Feed<Change>;
  /** Adds `name` to the store ('' adds nothing); resolves with what was announced. */
  write(name: string): Promise<Announced<Change> | undefined>;
  /** This instance's mirror of the store: applied changes, replaced whole by a resync. */
  readonly names: Set<string>;
  readonly applied: Announced<Change>[];
  readonly resyncs: ResyncReason[];
}

/** What only a store shared over the network has: other instances, and ways to miss a change. */
interface SharedStore {
  open(): Promise<Instance>;
  /** Bumps the version as a write whose announcement never arrived would. */
  loseAnnouncement(): Promise<void>;
  /** Empties the store, as a restart without persistence would; `refill` then sets the version to it in a new epoch. */
  loseData(refill?: number): Promise<void>;
  dropSubscriptions(): Promise<void>;
  /** Announces something that is not an announcement. */
  announceGarbage(): Promise<void>;
  /** How many times any instance has read the store's position (a check, or a resync). */
  positionReads(): Promise<number>;
  stop(): Promise<void>;
  start(): Promise<void>;
}

interface Backend {
  readonly name: string;
  readonly shared: boolean;
  /** A fresh store for one test (closed when it ends) and a first instance on it; `clock` is the feeds' time. */
  open(t: Test, clock: TestClock): Promise<{ readonly instance: Instance; readonly store?: SharedStore }>;
}

const SYNC_INTERVAL = 50;

async function listen(feed: Feed<Change>, write: Instance['write'], load: () => Promise<string[]>): Promise<Instance> {
  const instance: Instance = { feed, write, names: new Set(), applied: [], resyncs: [] };
  await feed.start({
    apply(change) {
      instance.applied.push(change);
      instance.names.add(change.name);
    },
    async resync(reason) {
      const names = await load();
      instance.resyncs.push(reason);
      instance.names.clear();
      for (const name of names) instance.names.add(name);
    },
  });
  return instance;
}

const inProcess: Backend = {
  name: 'the in-process feed',
  shared: false,
  async open(t) {
    const names: string[] = [];
    const feed = new MemoryFeed<Change>();
    t.teardown(() => feed.close());
    const write = async (name: string): Promise<Announced<Change> | undefined> => feed.write(() => (name === '' ? undefined : (names.push(name), { name })));
    return { instance: await listen(feed, write, async () => [...names]) };
  },
};

const NAMES = '{permgate:feed-test}:names';
const KEYS = { version: '{permgate:feed-test}:version', epoch: '{permgate:feed-test}:epoch', channel: 'permgate:feed-test:changes', shardChannel: '{permgate:feed-test}:changes' };
const ADD_NAME = feedScript('permgateFeedContractAdd', `if ARGV[1] == '' then return nil end\nredis.call('SADD', KEYS[1], ARGV[1])\nreturn { name = ARGV[1] }`);

/** A Redis topology as the contract needs it: where it is, the node that holds the feed's keys, and an outage. */
interface Topology {
  readonly target: RedisTarget;
  /** The node that holds the feed's slot now (the master; on a cluster, the one that owns the slot). */
  feedNode(): Promise<Redis>;
  /** Every master (one, or a cluster's three), for what spans them: subscriptions, command counts, emptying. */
  masters(): Promise<Redis[]>;
  /** Publishes as a writer of this topology would: PUBLISH, or on a cluster SPUBLISH. */
  publish(node: Redis, text: string): Promise<unknown>;
  /** The outage: the master stops; `start` brings a master back (the same one, or a promoted replica). */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

function nodeClient(port: number): Redis {
  const client = new Redis({ port, host: '127.0.0.1', retryStrategy: () => 50 });
  client.on('error', () => {});
  return client;
}

/** One client per port at a time, closed with the topology. */
function nodeClients(): { get(port: number): Redis; close(): void } {
  const clients = new Map<number, Redis>();
  return {
    get: (port) => clients.get(port) ?? (clients.set(port, nodeClient(port)), clients.get(port)!),
    close: () => clients.forEach((client) => client.disconnect()),
  };
}

async function singleNode(): Promise<Topology> {
  const server = await startPrivateRedis();
  const raw = nodeClient(server.port);
  return {
    target: server.url,
    feedNode: async () => raw,
    masters: async () => [raw],
    publish: (node, text) => node.publish(KEYS.channel, text),
    stop: server.stop,
    start: server.start,
    async close() {
      raw.disconnect();
      await server.close();
    },
  };
}

async function sentinelGroup(): Promise<Topology> {
  const group = await startRedisSentinel();
  const clients = nodeClients();
  let killed: number | undefined;
  const master = async (): Promise<Redis> => clients.get(await group.masterPort());
  return {
    target: { sentinels: group.sentinels, name: group.name },
    feedNode: master,
    masters: async () => [await master()],
    publish: (node, text) => node.publish(KEYS.channel, text),
    stop: async () => void (killed = await group.killMaster()),
    start: async () => void (await group.promoted(killed!)),
    async close() {
      clients.close();
      await group.close();
    },
  };
}

async function cluster(): Promise<Topology> {
  const nodes = await startRedisCluster();
  const clients = nodeClients();
  let killed: number | undefined;
  const masters = async (): Promise<Redis[]> => (await nodes.masters()).map((master) => clients.get(master.port));
  return {
    target: { cluster: nodes.nodes },
    async feedNode() {
      const any = (await masters())[0]!;
      const slot = (await any.call('CLUSTER', 'KEYSLOT', KEYS.version)) as number;
      const ranges = (await any.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
      return clients.get(ranges.find(([from, to]) => slot >= from && slot <= to)![2][1]);
    },
    masters,
    publish: (node, text) => node.call('SPUBLISH', KEYS.shardChannel, text),
    stop: async () => void (killed = await nodes.killMasterOf(KEYS.version)),
    start: async () => void (await nodes.promoted(KEYS.version, killed!)),
    async close() {
      clients.close();
      await nodes.close();
    },
  };
}

const root = t;

/**
 * The Redis feed on one topology. One node is started per test; a Sentinel group or a cluster (several processes,
 * seconds to start) once per file and emptied before each test.
 */
function onRedis(name: string, start: () => Promise<Topology>, shared: boolean): Backend {
  let started: Promise<Topology> | undefined;
  const topologyFor = async (t: Test): Promise<Topology> => {
    if (!shared) {
      const topology = await start();
      t.teardown(() => topology.close());
      return topology;
    }
    if (started === undefined) {
      const starting = (started = start());
      root.teardown(async () => (await starting).close());
    }
    const topology = await started;
    await Promise.all((await topology.masters()).map((node) => node.flushall()));
    return topology;
  };
  return {
    name,
    shared: true,
    async open(t, clock) {
      const topology = await topologyFor(t);
      const closers: (() => Promise<void>)[] = [];
      t.teardown(async () => {
        for (const close of closers.reverse()) await close();
      });
      const open = async (): Promise<Instance> => {
        const store = new RedisStore(topology.target, { commandTimeout: 200 });
        closers.push(() => store.close());
        await store.ready(5_000);
        if (store.adminClient.status !== 'ready') await once(store.adminClient, 'ready'); // the writer's connection
        const feed = new RedisFeed<Change>(store.client, { keys: KEYS, syncInterval: SYNC_INTERVAL, now: clock.now, writer: store.adminClient });
        closers.push(() => feed.close());
        return listen(feed, (name) => feed.write(ADD_NAME, [NAMES], [name]), () => store.client.smembers(NAMES));
      };
      const sum = (counts: number[]): number => counts.reduce((a, b) => a + b, 0);
      const store: SharedStore = {
        open,
        loseAnnouncement: async () => void (await (await topology.feedNode()).incr(KEYS.version)),
        loseData: async (refill) => {
          // Every key of the feed is on this one node: one MULTI empties and refills it at once.
          const flush = (await topology.feedNode()).multi().flushall();
          if (refill !== undefined) flush.set(KEYS.version, refill).set(KEYS.epoch, 'an epoch no instance has seen');
          await flush.exec();
        },
        dropSubscriptions: async () => void (await Promise.all((await topology.masters()).map((node) => node.call('CLIENT', 'KILL', 'TYPE', 'pubsub')))),
        announceGarbage: async () => void (await topology.publish(await topology.feedNode(), '{"version":')),
        positionReads: async () => sum(await Promise.all((await topology.masters()).map(async (node) => Number(/cmdstat_mget:calls=(\d+)/.exec(await node.info('commandstats'))?.[1] ?? 0)))),
        stop: topology.stop,
        start: topology.start,
      };
      return { instance: await open(), store };
    },
  };
}

const BACKENDS: readonly Backend[] = [
  inProcess,
  onRedis('the Redis feed', singleNode, false),
  onRedis('the Redis feed through Sentinel', sentinelGroup, true),
  onRedis('the Redis feed on a cluster (sharded pub/sub)', cluster, true),
];

async function until(what: string, check: () => boolean, deadlineMs = 3_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const names = (instance: Instance): string[] => instance.applied.map((change) => change.name);
const resyncsSinceStart = (instance: Instance): ResyncReason[] => instance.resyncs.filter((reason) => reason !== 'start');

// Tests under `backend.shared` are for a store other processes share: only it has a second instance, lost
// messages and outages (an in-process feed has none of these, so they are not registered for it).
for (const backend of BACKENDS) {

  t.test(backend.name, async (t) => {
    t.test('announces each change once, in version order, and the writer has it when the write returns', async (t) => {
      const { instance: a, store } = await backend.open(t, testClock({ ticking: true }));
      t.equal(a.feed.isCurrent(), true, 'current once started');
      for (const name of ['one', 'two', 'three']) {
        const announced = await a.write(name);
        t.same(a.applied.at(-1), announced, `${name}: applied here before the write returned`);
        t.ok(a.names.has(name));
      }
      t.equal(await a.write(''), undefined, 'a write that changes nothing announces nothing');
      if (store) {
        // Another instance's write is announced after the echoes of ours: once it is here, so are they.
        await (await store.open()).write('four');
        await until('the other write arrives', () => a.names.has('four'));
      }
      const expected = store ? ['one', 'two', 'three', 'four'] : ['one', 'two', 'three'];
      t.same(names(a), expected, 'each once: a writer does not apply the echo of its own write again');
      t.same(a.applied.map((change) => change.version), expected.map((_, i) => i + 1), 'versions count up by one');
      t.same(resyncsSinceStart(a), [], 'no resync');
    });


    if (backend.shared) t.test('a second instance receives every change in the same order, while both write at once', async (t) => {
      const { instance: a, store } = await backend.open(t, testClock({ ticking: true }));
      const b = await store!.open();
      const writes = Array.from({ length: 20 }, (_, i) => [a.write(`a${i}`), b.write(`b${i}`)]).flat();
      const announced = await Promise.all(writes);
      await until('both have all 40', () => a.names.size === 40 && b.names.size === 40);
      t.same(names(b), names(a), 'one order for everybody');
      t.same(a.applied.map((change) => change.version), Array.from({ length: 40 }, (_, i) => i + 1));
      t.same(new Set(announced.map((change) => change!.name)), new Set(names(a)));
      t.same({ a: resyncsSinceStart(a), b: resyncsSinceStart(b) }, { a: [], b: [] }, 'a writer whose reply outran earlier announcements waited for them: no resync');
    });


    if (backend.shared) t.test('a change whose announcement was lost is caught by the periodic check, at the second look', async (t) => {
      const { instance: a, store } = await backend.open(t, testClock({ ticking: true }));
      await a.write('one');
      const reads = await store!.positionReads();
      await store!.loseAnnouncement();
      await until('the check resyncs', () => a.resyncs.includes('version check'));
      t.same(resyncsSinceStart(a), ['version check'], 'one resync');
      // A version ahead of ours may be an announcement in flight: the first check that sees it waits for the next.
      t.ok((await store!.positionReads()) - reads >= 3, 'two checks found it missing before the resync read the position');
    });


    if (backend.shared) t.test('an announcement after a lost one is a version gap, resynced at once', async (t) => {
      const { instance: a, store } = await backend.open(t, testClock({ ticking: true }));
      const b = await store!.open();
      await a.write('zero');
      await until('b has it', () => b.names.has('zero'));
      await store!.loseAnnouncement();
      await b.write('one');
      t.ok(b.names.has('one'), 'the writer, whose own change came after the gap, has it when the write returns');
      await until('a resyncs', () => resyncsSinceStart(a).length > 0);
      t.same(resyncsSinceStart(a), ['version gap']);
      t.ok(a.names.has('one'), 'and has the change from the store');
    });


    if (backend.shared) t.test('an unreadable announcement leads to a resync', async (t) => {
      const { instance: a, store } = await backend.open(t, testClock({ ticking: true }));
      await store!.announceGarbage();
      await until('a resyncs', () => resyncsSinceStart(a).length > 0);
      t.same(resyncsSinceStart(a), ['unreadable message']);
    });


    if (backend.shared) t.test('a store that lost its data is resynced as a store reset, even refilled to the same version', async (t) => {
      const { instance: a, store } = await backend.open(t, testClock({ ticking: true }));
      const b = await store!.open();
      await a.write('one');
      await until('b has it', () => b.names.has('one'));
      await store!.loseData(1);
      await until('a sees the new epoch', () => a.resyncs.includes('store reset'));
      t.same(a.names, new Set(), 'the mirror was reloaded from what the store now holds');
      await store!.loseData();
      await until('a sees the store empty', () => resyncsSinceStart(a).length === 2);
      t.same(resyncsSinceStart(a), ['store reset', 'store reset']);
      await b.write('after');
      t.ok(b.names.has('after'), 'a write in the new epoch is here when it returns');
      await until('a has it', () => a.names.has('after'));
    });


    if (backend.shared) t.test('a dropped subscription is resynced on reconnect, and announcements flow again', async (t) => {
      const { instance: a, store } = await backend.open(t, testClock({ ticking: true }));
      const b = await store!.open();
      await store!.dropSubscriptions();
      await until('both resync', () => a.resyncs.includes('reconnected') && b.resyncs.includes('reconnected'));
      await b.write('after');
      await until('a has it', () => a.names.has('after'));
      t.pass('delivered after the reconnect');
    });


    if (backend.shared) t.test('isCurrent is false once no check has succeeded for three sync intervals, or while the store is down; true again after', async (t) => {
      const clock = testClock({ ticking: true });
      const { instance: a, store } = await backend.open(t, clock);
      t.equal(a.feed.isCurrent(), true);
      clock.advance(3 * SYNC_INTERVAL);
      t.equal(a.feed.isCurrent(), false, 'the last sync is three intervals old');
      await until('the next check renews it', () => a.feed.isCurrent());
      await store!.stop();
      await until('not current while the store is down', () => !a.feed.isCurrent());
      await store!.start();
      await until('current again', () => a.feed.isCurrent(), 5_000);
      t.match(resyncsSinceStart(a).at(-1), /^(reconnected|store reset)$/, 'resynced with the store that came back (empty)');
      await a.write('after');
      t.ok(a.names.has('after'), 'writes work again');
    });

    t.test('close stops delivery and checks, and leaves no timer that would keep the process alive', async (t) => {
      const timers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
      const before = timers();
      const { instance: a, store } = await backend.open(t, testClock({ ticking: true }));
      await a.write('one');
      await a.feed.close();
      if (store) {
        const reads = await store.positionReads();
        await store.loseAnnouncement();
        await new Promise((resolve) => setTimeout(resolve, 4 * SYNC_INTERVAL));
        t.equal(await store.positionReads(), reads, 'no check ran after close');
        await (await store.open()).write('two');
        await new Promise((resolve) => setTimeout(resolve, SYNC_INTERVAL));
      } else await a.write('two');
      t.same(names(a), ['one'], 'nothing applied after close');
      t.same(resyncsSinceStart(a), [], 'no resync after close');
      await until('only timers that were there before are left', () => timers() <= before);
    });
  });
}
