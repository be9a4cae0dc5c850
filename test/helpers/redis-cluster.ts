// A private Redis Cluster on 127.0.0.1 (issue 12): three masters and a replica each, on free ports, made with
// `redis-cli --cluster create` (~3 s here, docs/toolchain-notes.md) and stopped by pid. Start one per test file.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePorts } from './private-redis.js';
import { restartableProcess, withFreshPorts, type RestartableProcess } from './restartable-process.js';

const run = promisify(execFile);

/** A node's failure is agreed on after this long; replicas then take over (a test-sized `cluster-node-timeout`). */
export const CLUSTER_NODE_TIMEOUT_MS = 1_000;

export interface ClusterMaster {
  readonly port: number;
  readonly id: string;
}

export interface RedisClusterTopology {
  /** `host:port` of every node, as `store.redis.cluster` takes them. */
  readonly nodes: readonly string[];
  /** The current masters, as the first live node sees them. */
  masters(): Promise<ClusterMaster[]>;
  /** SIGKILLs the master that serves `key`'s slot; resolves with its port. */
  killMasterOf(key: string): Promise<number>;
  /** Resolves once a replica serves `key`'s slot in place of `oldPort` and the cluster is ok; the ms it took. */
  promoted(key: string, oldPort: number, timeoutMs?: number): Promise<number>;
  close(): Promise<void>;
}

export function startRedisCluster(): Promise<RedisClusterTopology> {
  return withFreshPorts(startTopology);
}

async function startTopology(): Promise<RedisClusterTopology> {
  const dir = await mkdtemp(join(tmpdir(), 'permgate-cluster-'));
  const ports = await freePorts(6);
  const servers = new Map<number, RestartableProcess>(
    ports.map((port) => [
      port,
      restartableProcess('redis-server (cluster node)', 'redis-server', [
        '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir,
        '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', String(CLUSTER_NODE_TIMEOUT_MS),
        '--dbfilename', `dump-${port}.rdb`, '--repl-diskless-sync-delay', '0',
      ], 'Ready to accept connections'),
    ]),
  );
  const dead = new Set<number>();
  const closeAll = async (): Promise<void> => {
    for (const server of servers.values()) await server.kill();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await Promise.all([...servers.values()].map((server) => server.start()));
    await run('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '1', '--cluster-yes']);
    for (const port of ports) await clusterOk(port, 10_000);
    // A replica that never finished its first sync is too stale to take over: wait for every one of them.
    for (const port of ports) await replicasSynced(port, 10_000);
  } catch (err) {
    await closeAll();
    throw err;
  }

  const live = (): number => ports.find((port) => !dead.has(port))!;
  const masters = async (): Promise<ClusterMaster[]> => {
    const client = node(live());
    try {
      const text = (await client.call('CLUSTER', 'NODES')) as string;
      return text
        .split('\n')
        .map((line) => line.split(' '))
        .filter((fields) => fields.length > 8 && fields[2]!.includes('master') && !fields[2]!.includes('fail'))
        .map((fields) => ({ id: fields[0]!, port: Number(/:(\d+)@/.exec(fields[1]!)![1]) }));
    } finally {
      client.disconnect();
    }
  };
  const ownerOf = async (key: string): Promise<number> => {
    const client = node(live());
    try {
      const slot = (await client.call('CLUSTER', 'KEYSLOT', key)) as number;
      const ranges = (await client.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, string]][];
      const range = ranges.find(([from, to]) => slot >= from && slot <= to)!;
      return Number(range[2][1]);
    } finally {
      client.disconnect();
    }
  };
  return {
    nodes: ports.map((port) => `127.0.0.1:${port}`),
    masters,
    async killMasterOf(key) {
      const port = await ownerOf(key);
      dead.add(port);
      await servers.get(port)!.kill();
      return port;
    },
    async promoted(key, oldPort, timeoutMs = 15_000) {
      const started = Date.now();
      while (Date.now() - started < timeoutMs) {
        const owner = await ownerOf(key).catch(() => oldPort);
        if (owner !== oldPort && (await clusterOk(owner, 0).then(() => true, () => false))) return Date.now() - started;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`no replica took over within ${timeoutMs} ms`);
    },
    close: closeAll,
  };
}

function node(port: number): Redis {
  const client = new Redis({ port, host: '127.0.0.1', retryStrategy: () => null });
  client.on('error', () => {});
  return client;
}

async function clusterOk(port: number, timeoutMs: number): Promise<void> {
  const client = node(port);
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (/cluster_state:ok/.test((await client.call('CLUSTER', 'INFO')) as string)) return;
      if (Date.now() >= deadline) throw new Error(`cluster not ok on ${port} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    client.disconnect();
  }
}

/** A master's replica is online (a replica node has nothing to wait for). */
async function replicasSynced(port: number, timeoutMs: number): Promise<void> {
  const client = node(port);
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const info = await client.info('replication');
      if (!/role:master/.test(info) || /slave0:.*state=online/.test(info)) return;
      if (Date.now() >= deadline) throw new Error(`the replica of ${port} did not sync within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    client.disconnect();
  }
}
