// Where the shared store's Redis is and how to reach it (issue 12): one URL (a single node), a Sentinel group that
// names the current master, or a Cluster's seed nodes. ioredis's own Sentinel and Cluster support does the work; this
// file picks the settings a gateway needs on top of them, the same for every topology.
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisTopologyConfig } from '../../config/types.js';

/** `store.redis` as an object: a Sentinel group (passwords arrive already interpolated from ${ENV}). */
export type SentinelTopology = Extract<RedisTopologyConfig, { readonly sentinels: readonly string[] }>;

/** `store.redis` as an object: a Redis Cluster, found from any of its seed nodes. */
export type ClusterTopology = Extract<RedisTopologyConfig, { readonly cluster: readonly string[] }>;

/** A redis:// or rediss:// URL (user and password in it), or a Sentinel group, or a Cluster. */
export type RedisTarget = string | SentinelTopology | ClusterTopology;

/** What a connection to any topology is: the commands are the same; a Cluster routes each by its key's slot. */
export type RedisClient = Redis | Cluster;

export type TopologyKind = 'single' | 'sentinel' | 'cluster';

export function topologyOf(target: RedisTarget): TopologyKind {
  if (typeof target === 'string') return 'single';
  return target.cluster !== undefined ? 'cluster' : 'sentinel';
}

export interface ConnectionSettings {
  /** Each command gives up after this many milliseconds. */
  readonly commandTimeout: number;
  readonly autoPipelining: boolean;
}

/** `host:port` → ioredis's address; a bare host gets the default port. */
export function hostPort(address: string, defaultPort: number): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  if (at <= 0) return { host: address, port: defaultPort };
  return { host: address.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(address.slice(at + 1)) };
}

/**
 * After a failover a connection may still reach the old master, now a replica, which answers every write with
 * READONLY (a known outage cause in Envoy's rate-limit service: the client never noticed). Reconnecting asks the
 * sentinels (or the cluster) anew for the master; the refused write changed nothing, so the failed command is not
 * resent: its caller gets the configured outage behaviour for that one call.
 */
export function reconnectOnReadonly(err: Error): 1 | false {
  return err.message.startsWith('READONLY') ? 1 : false;
}

/** Reconnect forever, 50 ms doubling up to 2 s: the store comes back by itself when Redis does. */
const backoff = (attempt: number): number => Math.min(50 * 2 ** Math.min(attempt, 6), 2_000);

/** The settings of every connection to one node or to a Sentinel-named master (docs/toolchain-notes.md). */
export function nodeOptions(settings: ConnectionSettings): RedisOptions {
  return {
    enableOfflineQueue: false,
    commandTimeout: settings.commandTimeout,
    maxRetriesPerRequest: 1,
    enableAutoPipelining: settings.autoPipelining,
    connectTimeout: 2_000,
    retryStrategy: backoff,
    reconnectOnError: reconnectOnReadonly,
  };
}

/** A new connection to `target`; `error` events are the caller's to listen to. */
export function connectRedis(target: RedisTarget, settings: ConnectionSettings): RedisClient {
  if (typeof target === 'string') return new Redis(target, nodeOptions(settings));
  const tls = target.tls === true ? {} : undefined;
  if (target.cluster !== undefined) {
    const { enableOfflineQueue: _queue, retryStrategy: _retry, enableAutoPipelining: _pipelining, ...perNode } = nodeOptions(settings);
    const options: ClusterOptions = {
      enableOfflineQueue: false,
      enableAutoPipelining: settings.autoPipelining,
      clusterRetryStrategy: backoff,
      // A command to a master that just died is retried on the slot's new owner once the slots are refreshed; the
      // command timeout still bounds the caller's wait.
      retryDelayOnFailover: 100,
      retryDelayOnClusterDown: 100,
      slotsRefreshTimeout: 1_000,
      redisOptions: { ...perNode, username: target.username || undefined, password: target.password || undefined, tls },
    };
    return new Cluster(target.cluster.map((address) => hostPort(address, 6379)), options);
  }
  return new Redis({
    ...nodeOptions(settings),
    sentinels: target.sentinels.map((address) => hostPort(address, 26379)),
    name: target.name,
    // An empty password (`${REDIS_PASSWORD:-}` unset) is none.
    username: target.username || undefined,
    password: target.password || undefined,
    sentinelPassword: target.sentinelPassword || undefined,
    tls,
    enableTLSForSentinelMode: target.tls === true,
    // Ask the sentinels again quickly while they elect a new master. Not `failoverDetector`: measured here, its
    // +switch-master disconnect can land while the connector waits to retry, and ioredis then ends the connection
    // for good ("Connection is closed.", status `end`); the retry finds the new master within ~1 s of the promotion.
    sentinelRetryStrategy: backoff,
  });
}

/** Where the store is, for a status line or a log: never a password. */
export function describeTarget(target: RedisTarget): string {
  if (typeof target === 'string') {
    const url = URL.parse(target);
    return url ? `${url.protocol}//${url.host}` : 'redis';
  }
  return target.cluster !== undefined ? `cluster ${target.cluster.join(',')}` : `sentinel ${target.name} via ${target.sentinels.join(',')}`;
}

/**
 * A new connection with `client`'s settings to the same topology, to subscribe on (a subscriber needs its own). On a
 * cluster it subscribes with SSUBSCRIBE, through the one connection per master that ioredis keeps for it: a sharded
 * channel's messages stay on the shard that owns its slot instead of being copied to every node.
 */
export function subscriberClient(client: RedisClient): RedisClient {
  return client instanceof Cluster ? client.duplicate([], { shardedSubscribers: true }) : client.duplicate();
}
