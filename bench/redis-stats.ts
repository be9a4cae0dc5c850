// What the gateway's Redis did during a run, read from `INFO` on every node (issue 12): the scripts and commands it ran,
// the socket reads that carried them (one per round-trip, however many commands a pipeline packs), and the CPU used.
// Redis counts the commands a script runs (redis.call) in commandstats and in total_commands_processed alike, so
// "commands" includes them; the reads are what the round-trips are.
import { Redis } from 'ioredis';

export interface RedisCounters {
  /** Calls of every command in `INFO commandstats` except the monitoring and replication ones (NOT_THE_GATEWAYS), those run inside scripts included. */
  readonly commands: number;
  /** EVALSHA, EVAL and FCALL calls (and their _RO forms): each is one command the client sent. */
  readonly scripts: number;
  /** `total_reads_processed`: socket reads with client input, so pipelined commands read together count once. */
  readonly reads: number;
  /** `used_cpu_user` + `used_cpu_sys`, in microseconds. */
  readonly cpuMicros: number;
}

/**
 * Commands no gateway request sends: this meter's own INFO, replication (REPLCONF, PSYNC), the sentinels' and the
 * cluster's own traffic, connection set-up. What is left is what permgate asked of Redis.
 */
export const NOT_THE_GATEWAYS: ReadonlySet<string> = new Set(['info', 'ping', 'replconf', 'psync', 'sync', 'cluster', 'sentinel', 'client', 'config', 'command', 'hello', 'auth', 'select', 'role', 'readonly']);

/** Commands that run a script: one command from the client, however many the script runs. */
const SCRIPT_CALLS: ReadonlySet<string> = new Set(['evalsha', 'eval', 'evalsha_ro', 'eval_ro', 'fcall', 'fcall_ro']);

/** `INFO` text → field → value (sections and comments dropped). @example infoFields('# Stats\r\na:1\r\n').get('a') // '1' */
export function infoFields(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

/** Reads the counters out of one node's `INFO all`. A Redis without a field yields an error, not a silent 0. */
export function countersOf(fields: ReadonlyMap<string, string>): RedisCounters {
  let commands = 0;
  let scripts = 0;
  for (const [field, value] of fields) {
    if (!field.startsWith('cmdstat_')) continue;
    // cmdstat_evalsha:calls=12,usec=… ; subcommands appear as cmdstat_client|setname.
    const name = field.slice('cmdstat_'.length).split('|')[0]!;
    if (NOT_THE_GATEWAYS.has(name)) continue;
    const calls = /(?:^|,)calls=(\d+)/.exec(value);
    if (!calls) continue;
    commands += Number(calls[1]);
    if (SCRIPT_CALLS.has(name)) scripts += Number(calls[1]);
  }
  const number = (field: string): number => {
    const value = Number(fields.get(field));
    if (!Number.isFinite(value)) throw new Error(`redis INFO has no numeric ${field}`);
    return value;
  };
  return { commands, scripts, reads: number('total_reads_processed'), cpuMicros: Math.round((number('used_cpu_user') + number('used_cpu_sys')) * 1_000_000) };
}

export const NO_COUNTS: RedisCounters = { commands: 0, scripts: 0, reads: 0, cpuMicros: 0 };

/** @example addCounters({ commands: 1, scripts: 1, reads: 2, cpuMicros: 3 }, { commands: 10, scripts: 0, reads: 20, cpuMicros: 30 }) // { commands: 11, scripts: 1, reads: 22, cpuMicros: 33 } */
export function addCounters(a: RedisCounters, b: RedisCounters): RedisCounters {
  return { commands: a.commands + b.commands, scripts: a.scripts + b.scripts, reads: a.reads + b.reads, cpuMicros: a.cpuMicros + b.cpuMicros };
}

export interface RedisNodes {
  /** The counters summed over the nodes. */
  read(): Promise<RedisCounters>;
  close(): void;
}

/** A meter on `host:port` nodes, each with one connection of its own kept for the whole bench. */
export function redisNodes(addresses: readonly string[]): RedisNodes {
  const clients = addresses.map((address) => {
    const at = address.lastIndexOf(':');
    const client = new Redis({ host: address.slice(0, at), port: Number(address.slice(at + 1)), lazyConnect: true, maxRetriesPerRequest: 1 });
    client.on('error', () => {}); // a read that fails rejects; the event would only repeat it
    return client;
  });
  return {
    async read() {
      const each = await Promise.all(clients.map(async (client) => countersOf(infoFields(await client.info('all')))));
      return each.reduce(addCounters, NO_COUNTS);
    },
    close() {
      for (const client of clients) client.disconnect();
    },
  };
}
