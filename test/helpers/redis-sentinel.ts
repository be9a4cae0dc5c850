// A private Sentinel topology on 127.0.0.1 (issue 12): a master, one replica and three `redis-server --sentinel`
// processes on free ports, each stopped by its pid. Sentinels know each other and the replica from their config
// files, so the topology is ready in well under a second instead of waiting for the hello messages.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePorts } from './private-redis.js';
import { restartableProcess, withFreshPorts, type RestartableProcess } from './restartable-process.js';

export const SENTINEL_MASTER_NAME = 'mymaster';

export interface RedisSentinelTopology {
  /** `host:port` of each sentinel, as `store.redis.sentinels` takes them. */
  readonly sentinels: readonly string[];
  readonly name: string;
  /** The port the sentinels currently name as the master. */
  masterPort(): Promise<number>;
  /** SIGKILLs the current master's process (a crash); resolves with its port. */
  killMaster(): Promise<number>;
  /** Resolves once the sentinels name a master other than `oldPort` and it accepts writes; the ms it took. */
  promoted(oldPort: number, timeoutMs?: number): Promise<number>;
  close(): Promise<void>;
}

/** Sentinel timings for a test: a master is down after 1 s, a failover may take 3 s. */
const DOWN_AFTER_MS = 1_000;
const FAILOVER_TIMEOUT_MS = 3_000;

export function startRedisSentinel(): Promise<RedisSentinelTopology> {
  return withFreshPorts(startTopology);
}

async function startTopology(): Promise<RedisSentinelTopology> {
  const dir = await mkdtemp(join(tmpdir(), 'permgate-sentinel-'));
  const [masterPort, replicaPort, ...sentinelPorts] = await freePorts(5);
  const dataArgs = (port: number): string[] => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--dbfilename', `dump-${port}.rdb`, '--repl-diskless-sync-delay', '0'];
  const servers = new Map<number, RestartableProcess>([
    [masterPort!, restartableProcess('redis-server (master)', 'redis-server', dataArgs(masterPort!), 'Ready to accept connections')],
    [replicaPort!, restartableProcess('redis-server (replica)', 'redis-server', [...dataArgs(replicaPort!), '--replicaof', '127.0.0.1', String(masterPort)], 'Ready to accept connections')],
  ]);
  const ids = sentinelPorts.map(() => randomBytes(20).toString('hex'));
  const sentinels: RestartableProcess[] = [];
  const closeAll = async (): Promise<void> => {
    for (const process of [...sentinels, ...servers.values()]) await process.kill();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const server of servers.values()) await server.start();
    for (const [i, port] of sentinelPorts.entries()) {
      const file = join(dir, `sentinel-${port}.conf`);
      const lines = [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel myid ${ids[i]}`,
        `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${masterPort} 2`,
        `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} ${DOWN_AFTER_MS}`,
        `sentinel failover-timeout ${SENTINEL_MASTER_NAME} ${FAILOVER_TIMEOUT_MS}`,
        `sentinel known-replica ${SENTINEL_MASTER_NAME} 127.0.0.1 ${replicaPort}`,
        ...sentinelPorts.flatMap((other, j) => (j === i ? [] : [`sentinel known-sentinel ${SENTINEL_MASTER_NAME} 127.0.0.1 ${other} ${ids[j]}`])),
      ];
      await writeFile(file, lines.join('\n') + '\n');
      const sentinel = restartableProcess('redis-server --sentinel', 'redis-server', [file, '--sentinel'], '+monitor master');
      sentinels.push(sentinel);
      await sentinel.start();
    }
    await waitForReplica(masterPort!);
  } catch (err) {
    await closeAll();
    throw err;
  }

  const ask = async <T>(question: (sentinel: Redis) => Promise<T>): Promise<T> => {
    const sentinel = new Redis({ port: sentinelPorts[0], host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null });
    try {
      return await question(sentinel);
    } finally {
      sentinel.disconnect();
    }
  };
  const masterPortNow = async (): Promise<number> =>
    ask(async (sentinel) => Number(((await sentinel.call('SENTINEL', 'get-master-addr-by-name', SENTINEL_MASTER_NAME)) as string[])[1]));

  return {
    sentinels: sentinelPorts.map((port) => `127.0.0.1:${port}`),
    name: SENTINEL_MASTER_NAME,
    masterPort: masterPortNow,
    async killMaster() {
      const port = await masterPortNow();
      await servers.get(port)!.kill();
      return port;
    },
    async promoted(oldPort, timeoutMs = 15_000) {
      const started = Date.now();
      while (Date.now() - started < timeoutMs) {
        const port = await masterPortNow().catch(() => oldPort);
        if (port !== oldPort && (await isWritableMaster(port))) return Date.now() - started;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`no replica was promoted within ${timeoutMs} ms`);
    },
    close: closeAll,
  };
}

async function isWritableMaster(port: number): Promise<boolean> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    return /role:master/.test(await client.info('replication'));
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** The replica has finished its first sync, so a killed master has a replica to promote with every write. */
async function waitForReplica(masterPort: number): Promise<void> {
  const client = new Redis({ port: masterPort, host: '127.0.0.1' });
  try {
    for (let i = 0; i < 200; i++) {
      if (/slave0:.*state=online/.test(await client.info('replication'))) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error('the replica did not sync within 5 s');
  } finally {
    client.disconnect();
  }
}
