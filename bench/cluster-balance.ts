// Issue 12, "Cluster keys": how evenly the rate limiter's load spreads over a 3-master Redis Cluster, and what a
// request costs in script calls. Drives distinct users (each from its own address) through the real limiter (one
// route with the four default dimensions; the per-client budgets are per hour, so their keys are still there to be
// counted) on two instances, and reads each master's command counts (INFO commandstats) and keys before and after.
// `npm run bench:cluster-balance`; the numbers are in RESULTS.md. cluster-rate-limits-balance.test.ts asserts them.
import { Redis } from 'ioredis';
import type { Identity } from '../src/auth/identity.js';
import { parseConfig } from '../src/config/load.js';
import { RateLimiter } from '../src/ratelimit/rate-limiter.js';
import { MemoryRateLimitStore } from '../src/stores/memory/memory-rate-limit-store.js';
import { RedisStore } from '../src/stores/redis/redis-store.js';
import { startRedisCluster, type RedisClusterTopology } from '../test/helpers/redis-cluster.js';

export interface MasterLoad {
  readonly port: number;
  /** Commands the master ran for the limiter: script calls and the GET/SET/DEL inside them. */
  readonly commands: number;
  readonly scriptCalls: number;
  readonly keys: number;
}

export interface BalanceReport {
  readonly requests: number;
  readonly admitted: number;
  readonly masters: readonly MasterLoad[];
  readonly scriptCallsPerRequest: number;
  /** The largest distance of a master from the mean, as a fraction of the mean: commands, keys. */
  readonly commandSpread: number;
  readonly keySpread: number;
}

const LIMITER_COMMANDS = /^cmdstat_(evalsha|eval|get|set|del):calls=(\d+)/gm;

async function masterCounts(port: number): Promise<{ commands: number; scriptCalls: number; keys: number }> {
  const node = new Redis({ port, host: '127.0.0.1' });
  try {
    let commands = 0;
    let scriptCalls = 0;
    for (const [, name, calls] of (await node.info('commandstats')).matchAll(LIMITER_COMMANDS)) {
      commands += Number(calls);
      if (name!.startsWith('eval')) scriptCalls += Number(calls);
    }
    return { commands, scriptCalls, keys: await node.dbsize() };
  } finally {
    node.disconnect();
  }
}

const spread = (values: readonly number[]): number => {
  const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
  return Math.max(...values.map((v) => Math.abs(v - mean) / mean));
};

/** `users` distinct users, each from its own address, `concurrency` requests at once, alternating two instances. */
export async function measureClusterBalance(cluster: RedisClusterTopology, users: number, concurrency = 256): Promise<BalanceReport> {
  const { config, routes } = parseConfig(
    `rateLimits: { global: 100000/s, route: 50000/s, ip: 100/h, user: 50/h }
upstreams: { svc: { url: "http://127.0.0.1:9" } }
routes:
  - { path: /api/**, upstream: svc, auth: none }
`,
    'cluster-balance.yaml',
    {},
  );
  const route = routes.routes[0]!;
  const stores = [0, 1].map(() => new RedisStore({ cluster: cluster.nodes }, { commandTimeout: 200 }));
  try {
    await Promise.all(stores.map((store) => store.ready(5_000)));
    const events = { onDecision: () => {}, onFallback: () => {}, onStoreLatency: () => {} };
    const limiters = stores.map((store) => new RateLimiter(config.rateLimits, store.sharedRateLimits(), undefined, new MemoryRateLimitStore(), events));
    const masters = await cluster.masters();
    const before = await Promise.all(masters.map(({ port }) => masterCounts(port)));
    let admitted = 0;
    for (let first = 0; first < users; first += concurrency) {
      const wave = Array.from({ length: Math.min(concurrency, users - first) }, async (_, i) => {
        const n = first + i;
        const identity: Identity = { subject: `user-${n}`, roles: [], tenant: undefined, scopes: [] };
        const address = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
        try {
          await limiters[n % 2]!.check(route, address, 'GET', identity);
          admitted++;
        } catch {
          // refused (PG_RATE_LIMITED): counted by its absence
        }
      });
      await Promise.all(wave);
    }
    const after = await Promise.all(masters.map(({ port }) => masterCounts(port)));
    const loads = masters.map(({ port }, i) => ({
      port,
      commands: after[i]!.commands - before[i]!.commands,
      scriptCalls: after[i]!.scriptCalls - before[i]!.scriptCalls,
      keys: after[i]!.keys,
    }));
    return {
      requests: users,
      admitted,
      masters: loads,
      scriptCallsPerRequest: loads.reduce((sum, m) => sum + m.scriptCalls, 0) / users,
      commandSpread: spread(loads.map((m) => m.commands)),
      keySpread: spread(loads.map((m) => m.keys)),
    };
  } finally {
    await Promise.all(stores.map((store) => store.close()));
  }
}

/** The report as the lines RESULTS.md records. */
export function describeBalance(report: BalanceReport): string {
  const total = report.masters.reduce((sum, m) => sum + m.commands, 0);
  const keys = report.masters.reduce((sum, m) => sum + m.keys, 0);
  const rows = report.masters.map(
    (m) => `| ${m.port} | ${m.commands} | ${((100 * m.commands) / total).toFixed(1)} % | ${m.scriptCalls} | ${m.keys} | ${((100 * m.keys) / keys).toFixed(1)} % |`,
  );
  return [
    `${report.requests} requests of distinct users and addresses, ${report.admitted} admitted`,
    '',
    '| master | limiter commands | share | script calls | keys | share |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    `script calls per request: ${report.scriptCallsPerRequest.toFixed(3)}; largest distance from the mean: commands ${(100 * report.commandSpread).toFixed(1)} %, keys ${(100 * report.keySpread).toFixed(1)} %`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const users = Number(process.env.BENCH_USERS ?? 10_000);
  const cluster = await startRedisCluster();
  try {
    for (const concurrency of [256, 16]) {
      console.log(`\nconcurrency ${concurrency}:`);
      console.log(describeBalance(await measureClusterBalance(cluster, users, concurrency)));
    }
  } finally {
    await cluster.close();
  }
}
