// `npm run bench:fleet [-- PART...]`: the performance scenarios of issue 12, with many users (1, 100, 10,000), each
// part runnable alone because the whole run is long (BENCH_FLEET=users,workers or arguments):
//   users       the full pipeline on Redis against the bare proxy, CPU per request with and without Redis's own CPU;
//   workers     server.workers 2 against 1 (on Redis), and against nginx with as many workers;
//   reuseport   2 workers sharing the primary's socket against 2 with server.reusePort (a socket each), with kept-alive
//               connections and with a new connection per request (skipped on a Node without reusePort);
//   latency     added p99 over the bare proxy at half of the bare proxy's maximum rate;
//   topologies  the same pipeline on one Redis, a 3-master cluster and through Sentinel: Redis round-trips per request.
// Prints tables and ratios and writes bench/results/fleet.json for bench/RESULTS.md.
import { startRedisCluster } from '../test/helpers/redis-cluster.js';
import { startRedisSentinel } from '../test/helpers/redis-sentinel.js';
import { raisedLimits, trustLoopbackProxy, withRedisTopology, withReusePort, withSubjects, withWorkers, type RedisTopology } from './config-variants.js';
import { startBareProxy, startNginx, startOrigin, startPermgate, startRedis, type Contender } from './contenders.js';
import { cpuMicros, treeCpuMicros } from './cpu-time.js';
import { formatFleetRatios, formatFleetRows, meterSum, ratio, summarizeFleet, type FleetRatio, type FleetRow } from './fleet-report.js';
import { runFleetRounds, type FleetPair, type Meter } from './fleet-rounds.js';
import { load } from './load.js';
import { redisNodes, type RedisCounters } from './redis-stats.js';
import { BENCH_JWT_SECRET, describeScenario, type Scenario } from './scenarios.js';
import { readSettings, type BenchSettings } from './settings.js';
import { benchUsers, manyUsersScenario, userHeaders } from './users.js';
import { selectParts, type Part } from './fleet-parts.js';
import { preflight } from './preflight.js';
import { writeResultsFile } from './results-file.js';
import { REUSE_PORT_NODE, reusePortSupported } from '../src/server/reuse-port.js';


const USER_COUNTS = [1, 100, 10_000] as const;
const CPU = 'CPU µs';
const REDIS_CPU = 'Redis CPU µs';
const REDIS_COMMANDS = 'Redis commands';
const REDIS_SCRIPTS = 'Redis scripts';
const REDIS_READS = 'Redis reads';

const out = (text: string): void => void process.stdout.write(text);

interface Bench {
  readonly settings: BenchSettings;
  /** The scenarios by user count. */
  readonly scenarios: ReadonlyMap<number, Scenario>;
  readonly subjects: readonly string[];
  /** Everything started, stopped in reverse order at the end of each part. */
  readonly started: { stop(): Promise<void> }[];
}

interface PartResult {
  readonly rows: FleetRow[];
  readonly ratios: FleetRatio[];
  readonly notes: string[];
}

function keep<T extends { stop(): Promise<void> }>(bench: Bench, thing: T): T {
  bench.started.push(thing);
  return thing;
}

const treeCpu = (contender: Contender): Meter => ({ name: CPU, read: () => treeCpuMicros(contender.rootPid ?? contender.pid) });

/** Redis meters over `addresses`; its CPU from /proc when the single server's pid is known (as cpu-time.ts reads a gateway). */
function redisMeters(bench: Bench, addresses: readonly string[], redisPid?: number): Meter[] {
  const nodes = redisNodes(addresses);
  keep(bench, { stop: async () => nodes.close() });
  const field = (name: string, pick: (c: RedisCounters) => number): Meter => ({ name, read: async () => pick(await nodes.read()) });
  return [
    redisPid === undefined ? field(REDIS_CPU, (c) => c.cpuMicros) : { name: REDIS_CPU, read: () => cpuMicros(redisPid) },
    field(REDIS_SCRIPTS, (c) => c.scripts),
    field(REDIS_COMMANDS, (c) => c.commands),
    field(REDIS_READS, (c) => c.reads),
  ];
}

/** A permgate on Redis with the bench's many users bound to `viewer` (order:read) and 127.0.0.1 trusted as a proxy. */
function permgateOn(bench: Bench, originUrl: string, name: string, redis: string | RedisTopology, workers = 1, { reusePort = false } = {}): Promise<Contender> {
  const env: Record<string, string> = { PERMGATE_JWT_SECRET: BENCH_JWT_SECRET, PERMGATE_DRAIN_DELAY: '0s' };
  if (typeof redis === 'string') env.REDIS_URL = redis;
  return startPermgate(originUrl, {
    name,
    env,
    // Each process of a fleet loads the 10,000 bindings (~5 s here on a busy machine).
    readyTimeoutMs: 90_000,
    editConfig: (yaml) => {
      let edited = withSubjects(trustLoopbackProxy(raisedLimits(yaml)), bench.subjects, 'viewer');
      if (typeof redis !== 'string') edited = withRedisTopology(edited, redis);
      if (reusePort) edited = withReusePort(edited);
      return workers === 1 ? edited : withWorkers(edited, workers);
    },
  });
}

async function measure(bench: Bench, pairs: readonly FleetPair[]): Promise<FleetRow[]> {
  for (const { contender, scenario } of pairs) await preflight(contender, scenario);
  const samples = await runFleetRounds(pairs, bench.settings, out);
  return pairs.map((pair) => summarizeFleet(pair.scenario.name, pair.contender.name, samples.get(pair)!));
}

const row = (rows: readonly FleetRow[], scenario: string, target: string): FleetRow | undefined => rows.find((r) => r.scenario === scenario && r.target === target);

function requireRedis(redis: Contender | undefined): Contender {
  if (!redis) throw new Error('redis-server is not on PATH: the fleet bench runs permgate on Redis');
  return redis;
}

async function usersPart(bench: Bench): Promise<PartResult> {
  const origin = keep(bench, await startOrigin());
  const bare = keep(bench, await startBareProxy(origin.url));
  const redis = keep(bench, requireRedis(await startRedis()));
  const permgate = keep(bench, await permgateOn(bench, origin.url, 'permgate (Redis)', redis.url));
  const redisAt = [new URL(redis.url).host];
  const pairs = [...bench.scenarios.values()].flatMap((scenario): FleetPair[] => [
    { scenario, contender: bare, meters: [treeCpu(bare)] },
    { scenario, contender: permgate, meters: [treeCpu(permgate), ...redisMeters(bench, redisAt, redis.pid)] },
  ]);
  const rows = await measure(bench, pairs);
  const ratios = [...bench.scenarios.values()].flatMap((scenario): FleetRatio[] => {
    const [p, b] = [row(rows, scenario.name, permgate.name), row(rows, scenario.name, bare.name)];
    const bareCpu = b?.perRequest[CPU];
    return [
      { label: 'permgate / bare, req/s', scenario: scenario.name, value: ratio(p?.requestsPerSecond, b?.requestsPerSecond), aim: '>= 1.0' },
      { label: 'permgate / bare, CPU per request, gateway only', scenario: scenario.name, value: ratio(p?.perRequest[CPU], bareCpu) },
      { label: 'permgate / bare, CPU per request, gateway + its Redis', scenario: scenario.name, value: ratio(p && meterSum(p, [CPU, REDIS_CPU]), bareCpu), aim: '<= 1.0' },
    ];
  });
  return { rows, ratios, notes: [] };
}

async function workersPart(bench: Bench): Promise<PartResult> {
  const scenario = bench.scenarios.get(100)!;
  const origin = keep(bench, await startOrigin());
  const redis = keep(bench, requireRedis(await startRedis()));
  const redisAt = [new URL(redis.url).host];
  const one = keep(bench, await permgateOn(bench, origin.url, 'permgate, 1 worker', redis.url, 1));
  const two = keep(bench, await permgateOn(bench, origin.url, 'permgate, 2 workers', redis.url, 2));
  const pairs: FleetPair[] = [one, two].map((contender) => ({ scenario, contender, meters: [treeCpu(contender), ...redisMeters(bench, redisAt, redis.pid)] }));
  const notes: string[] = [];
  const nginx: (Contender | undefined)[] = [];
  for (const workers of [1, 2]) {
    const started = await startNginx(origin.url, workers);
    if (started) pairs.push({ scenario, contender: keep(bench, started), meters: [treeCpu(started)] });
    nginx.push(started);
  }
  if (!nginx[0]) notes.push('nginx: not on PATH, the nginx targets are skipped');
  const rows = await measure(bench, pairs);
  const [r1, r2] = [row(rows, scenario.name, one.name), row(rows, scenario.name, two.name)];
  const [n1, n2] = nginx.map((n) => n && row(rows, scenario.name, n.name));
  const withRedis = (r: FleetRow | undefined): number | null => (r ? meterSum(r, [CPU, REDIS_CPU]) : null);
  const ratios: FleetRatio[] = [
    { label: '2 workers / 1 worker, req/s', scenario: scenario.name, value: ratio(r2?.requestsPerSecond, r1?.requestsPerSecond), aim: '>= 1.4' },
    { label: '2 workers / 1 worker, CPU per request, process tree', scenario: scenario.name, value: ratio(r2?.perRequest[CPU], r1?.perRequest[CPU]), aim: '<= 1.05' },
    { label: '2 workers / 1 worker, CPU per request, tree + Redis', scenario: scenario.name, value: ratio(withRedis(r2), withRedis(r1)) },
    { label: 'permgate / nginx, 1 worker each, req/s', scenario: scenario.name, value: ratio(r1?.requestsPerSecond, n1?.requestsPerSecond), aim: '>= 0.6' },
    { label: 'permgate / nginx, 2 workers each, req/s', scenario: scenario.name, value: ratio(r2?.requestsPerSecond, n2?.requestsPerSecond), aim: '>= 0.6' },
  ];
  return { rows, ratios, notes };
}

/**
 * Who accepts: with the shared socket the primary accepts every connection and passes it to a worker over IPC; with
 * reusePort each worker accepts on its own socket. Kept-alive connections show the steady state; a new connection
 * per request shows what accepting costs each way. CPU is the whole process tree's (the primary's included).
 */
async function reusePortPart(bench: Bench): Promise<PartResult> {
  if (!reusePortSupported()) return { rows: [], ratios: [], notes: [`skipped: Node ${process.versions.node} has no listen({ reusePort }) (${REUSE_PORT_NODE}); run this part on such a Node`] };
  const keptAlive = bench.scenarios.get(100)!;
  const fresh = { ...keptAlive, name: `${keptAlive.name}, new connection per request` };
  const origin = keep(bench, await startOrigin());
  const redis = keep(bench, requireRedis(await startRedis()));
  const shared = keep(bench, await permgateOn(bench, origin.url, 'permgate, 2 workers, shared socket', redis.url, 2));
  const own = keep(bench, await permgateOn(bench, origin.url, 'permgate, 2 workers, reusePort', redis.url, 2, { reusePort: true }));
  const pairs = [shared, own].flatMap((contender): FleetPair[] => [
    { scenario: keptAlive, contender, meters: [treeCpu(contender)] },
    { scenario: fresh, contender, meters: [treeCpu(contender)], shape: { newConnectionPerRequest: true } },
  ]);
  const rows = await measure(bench, pairs);
  const ratios = [keptAlive, fresh].flatMap((scenario): FleetRatio[] => {
    const [r, s] = [row(rows, scenario.name, own.name), row(rows, scenario.name, shared.name)];
    return [
      { label: 'reusePort / shared socket, req/s', scenario: scenario.name, value: ratio(r?.requestsPerSecond, s?.requestsPerSecond), aim: '> 1.0' },
      { label: 'reusePort / shared socket, CPU per request, process tree', scenario: scenario.name, value: ratio(r?.perRequest[CPU], s?.perRequest[CPU]), aim: '< 1.0' },
    ];
  });
  return {
    rows,
    ratios,
    notes: [`new connection per request: node:http with agent: false, ${bench.settings.connections} at a time (the load generator's own CPU per connection competes for the same cores)`],
  };
}

async function latencyPart(bench: Bench): Promise<PartResult> {
  const scenario = bench.scenarios.get(100)!;
  const origin = keep(bench, await startOrigin());
  const bare = keep(bench, await startBareProxy(origin.url));
  const redis = keep(bench, requireRedis(await startRedis()));
  const permgate = keep(bench, await permgateOn(bench, origin.url, 'permgate (Redis)', redis.url));
  await preflight(bare, scenario);
  // The bare proxy's maximum: one unthrottled run (after the warm-up), as many connections as every other run.
  const max = await load(bare.url, scenario, bench.settings);
  const rate = Math.max(1, Math.round(max.requestsPerSecond / 2));
  out(`  bare proxy maximum: ${max.requestsPerSecond.toFixed(0)} req/s; fixed rate for both: ${rate} req/s\n`);
  const shape = { overallRate: rate, exactLatency: true };
  const pairs: FleetPair[] = [
    { scenario, contender: bare, meters: [treeCpu(bare)], shape },
    { scenario, contender: permgate, meters: [treeCpu(permgate), ...redisMeters(bench, [new URL(redis.url).host], redis.pid)], shape },
  ];
  const rows = await measure(bench, pairs);
  const [p, b] = [row(rows, scenario.name, permgate.name), row(rows, scenario.name, bare.name)];
  const difference = (of: number | null | undefined, to: number | null | undefined): number | null => (of == null || to == null ? null : of - to);
  const ratios: FleetRatio[] = [
    { label: 'added p99, ms (permgate − bare, per-response times)', scenario: scenario.name, value: difference(p?.p99Exact, b?.p99Exact), aim: '<= 1 ms' },
    { label: "added p99, ms (permgate − bare, autocannon's whole-ms histogram)", scenario: scenario.name, value: difference(p?.p99, b?.p99) },
  ];
  return { rows, ratios, notes: [`bare proxy maximum ${max.requestsPerSecond.toFixed(0)} req/s (one unthrottled run); both loaded at ${rate} req/s (autocannon overallRate)`] };
}

async function topologiesPart(bench: Bench): Promise<PartResult> {
  const scenario = bench.scenarios.get(10_000)!;
  const origin = keep(bench, await startOrigin());
  const bare = keep(bench, await startBareProxy(origin.url));
  const redis = keep(bench, requireRedis(await startRedis()));
  const cluster = await startRedisCluster();
  keep(bench, { stop: () => cluster.close() });
  const sentinel = await startRedisSentinel();
  keep(bench, { stop: () => sentinel.close() });
  const single = keep(bench, await permgateOn(bench, origin.url, 'permgate, one Redis', redis.url));
  const onCluster = keep(bench, await permgateOn(bench, origin.url, 'permgate, 3-master cluster', { cluster: cluster.nodes }));
  const onSentinel = keep(bench, await permgateOn(bench, origin.url, 'permgate, Sentinel', { sentinels: sentinel.sentinels, name: sentinel.name }));
  const clusterMasters = (await cluster.masters()).map((m) => `127.0.0.1:${m.port}`);
  const sentinelMaster = [`127.0.0.1:${await sentinel.masterPort()}`];
  const pairs: FleetPair[] = [
    { scenario, contender: bare, meters: [treeCpu(bare)] },
    { scenario, contender: single, meters: [treeCpu(single), ...redisMeters(bench, [new URL(redis.url).host])] },
    { scenario, contender: onCluster, meters: [treeCpu(onCluster), ...redisMeters(bench, clusterMasters)] },
    { scenario, contender: onSentinel, meters: [treeCpu(onSentinel), ...redisMeters(bench, sentinelMaster)] },
  ];
  const rows = await measure(bench, pairs);
  const b = row(rows, scenario.name, bare.name);
  const ratios = [single, onCluster, onSentinel].flatMap((target): FleetRatio[] => {
    const r = row(rows, scenario.name, target.name);
    return [
      { label: `${target.name} / bare, req/s`, scenario: scenario.name, value: ratio(r?.requestsPerSecond, b?.requestsPerSecond) },
      { label: `${target.name}: Redis scripts per request`, scenario: scenario.name, value: r?.perRequest[REDIS_SCRIPTS] ?? null },
      { label: `${target.name}: Redis commands per request (incl. inside scripts)`, scenario: scenario.name, value: r?.perRequest[REDIS_COMMANDS] ?? null },
      { label: `${target.name}: Redis reads (round-trips) per request`, scenario: scenario.name, value: r?.perRequest[REDIS_READS] ?? null },
    ];
  });
  return {
    rows,
    ratios,
    notes: [
      'Redis meters read INFO on the masters only (one server; the 3 cluster masters; the Sentinel master): replicas and sentinels are not counted',
      'Redis CPU here is used_cpu_user + used_cpu_sys from INFO, summed over those masters',
    ],
  };
}

const RUNNERS: Record<Part, (bench: Bench) => Promise<PartResult>> = { users: usersPart, workers: workersPart, reuseport: reusePortPart, latency: latencyPart, topologies: topologiesPart };

async function main(): Promise<void> {
  const settings = readSettings(process.env);
  const parts = selectParts(process.argv.slice(2), process.env.BENCH_FLEET);
  const users = benchUsers(Math.max(...USER_COUNTS));
  const headers = await userHeaders(users);
  const scenarios = new Map(USER_COUNTS.map((count) => [count, manyUsersScenario(count === 1 ? '1 user' : `${count.toLocaleString('en')} users`, headers.slice(0, count))]));
  const bench: Bench = { settings, scenarios, subjects: users.map((u) => u.subject), started: [] };
  out(`parts: ${parts.join(', ')}\nload: ${settings.connections} connections, ${settings.durationSeconds} s measured after ${settings.warmupSeconds} s warm-up, ${settings.rounds} interleaved round(s), medians\n`);
  const results: Partial<Record<Part, PartResult>> = {};
  for (const part of parts) {
    out(`\n== ${part}\n`);
    try {
      const result = await RUNNERS[part](bench);
      results[part] = result;
      const tables = result.rows.length === 0 ? '' : `\n${formatFleetRows(result.rows)}\n${formatFleetRatios(result.ratios)}`;
      out(`${tables}${result.notes.map((n) => `note: ${n}\n`).join('')}`);
    } finally {
      // The proxies before the origin they drain to; each Redis after the permgate that uses it.
      for (const thing of bench.started.splice(0).reverse()) await thing.stop();
    }
  }
  const written = await writeResultsFile('fleet.json', { settings, scenarios: [...scenarios.values()].map(describeScenario), parts: results });
  out(`\nwritten: ${written}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
