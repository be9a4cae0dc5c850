// `npm run bench`: the same load against the origin directly, a bare Fastify + @fastify/http-proxy, permgate with
// the shipped config (and nginx when installed), in one run, with the ratios that matter.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { cpuMicros, ROOT, startBareProxy, startNginx, startOrigin, startPermgate, startRedis, stopAll, type Contender } from './contenders.js';
import { load, type LoadResult, type Scenario } from './load.js';

const settings = {
  connections: Number(process.env.BENCH_CONNECTIONS ?? 50),
  durationSeconds: Number(process.env.BENCH_DURATION ?? 5),
  warmupSeconds: Number(process.env.BENCH_WARMUP ?? 1),
  // Targets are measured in interleaved rounds and each figure is the median: on two shared cores one run of one
  // target swings by ±25 %, which would decide the ratios by chance.
  rounds: Number(process.env.BENCH_ROUNDS ?? 3),
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
const SECRET = 'permgate-bench-secret-of-at-least-32-bytes';

/**
 * The shipped config with its rate limits raised so that nothing is refused: all four dimensions are still checked
 * and spent on every request, which is the cost being measured.
 */
function raisedLimits(yaml: string): string {
  return yaml.replace(/^(\s+(?:global|route|ip|user): )\d+\/s$/gm, '$11000000/s');
}

async function benchToken(): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ scope: 'order:read', jti: 'bench' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject('bench-user')
    .setIssuer('permgate-dev')
    .setAudience('permgate')
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(new TextEncoder().encode(SECRET));
}

interface Row {
  readonly scenario: string;
  readonly target: string;
  readonly result: LoadResult;
  /** CPU microseconds the serving process spent per request during the measured run (warm-up excluded). */
  readonly cpuPerRequest: number | undefined;
}

function print(rows: readonly Row[]): void {
  const line = (cells: string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(28) : c.padStart(10))).join(' ');
  process.stdout.write('\n' + line(['scenario', 'target', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'non-2xx', 'CPU µs/req']) + '\n');
  for (const { scenario, target, result: r, cpuPerRequest } of rows) {
    const cpu = cpuPerRequest === undefined ? '-' : cpuPerRequest.toFixed(1);
    process.stdout.write(line([scenario, target, r.requestsPerSecond.toFixed(0), String(r.p50), String(r.p99), String(r.errors), String(r.non2xx), cpu]) + '\n');
  }
}

async function main(): Promise<void> {
  process.on('SIGINT', () => {
    stopAll();
    process.exit(130);
  });
  const origin = await startOrigin();
  const contenders: Contender[] = [
    { ...origin, name: 'direct' },
    await startBareProxy(origin.url),
    await startPermgate(origin.url, { PERMGATE_JWT_SECRET: SECRET }, { name: 'permgate', edit: raisedLimits }),
    // The same gateway with the verified-token cache off: what the cache saves per request.
    await startPermgate(origin.url, { PERMGATE_JWT_SECRET: SECRET }, {
      name: 'permgate, no token cache',
      edit: (yaml) => raisedLimits(yaml).replace(/^( +)secret: (.*)$/m, '$1secret: $2\n$1cacheSize: 0'),
    }),
  ];
  // The same gateway on a private Redis: rate limits and revocations shared, one Redis round-trip per request.
  const redis = await startRedis();
  if (redis) {
    contenders.push(await startPermgate(origin.url, { PERMGATE_JWT_SECRET: SECRET, REDIS_URL: redis.url }, { name: 'permgate on Redis', edit: raisedLimits }));
  } else process.stdout.write('redis-server: not installed, the Redis contender is skipped\n');
  const nginx = await startNginx(origin.url);
  if (nginx) contenders.push(nginx);
  else process.stdout.write('nginx: not installed, skipped\n');

  const token = await benchToken();
  // The direct and bare targets get the same path; only permgate checks anything.
  const scenarios: Scenario[] = [
    { name: 'public route', path: '/public/hello' },
    { name: 'token + revocation + scope', path: '/api/orders/1', headers: { authorization: `Bearer ${token}` } },
  ];
  process.stdout.write(`load: ${settings.connections} connections, ${settings.durationSeconds}s measured after ${settings.warmupSeconds}s warm-up, ${settings.rounds} interleaved rounds, medians\n`);
  const samples = new Map<string, { result: LoadResult; cpu: number | undefined }[]>();
  for (let round = 1; round <= settings.rounds; round++) {
    for (const scenario of scenarios) {
      for (const contender of contenders) {
        if (contender.name === 'permgate, no token cache' && !scenario.headers?.authorization) continue;
      if (contender.name === 'permgate on Redis' && !scenario.headers?.authorization) continue;
        let cpuBefore: number | undefined;
        const result = await load(contender.url, scenario, settings, async () => {
          cpuBefore = await cpuMicros(contender.pid);
        });
        const cpuAfter = await cpuMicros(contender.pid);
        const requests = result.requestsPerSecond * settings.durationSeconds;
        const cpu = cpuBefore === undefined || cpuAfter === undefined || requests === 0 ? undefined : (cpuAfter - cpuBefore) / requests;
        const key = `${scenario.name}\u0000${contender.name}`;
        samples.set(key, [...(samples.get(key) ?? []), { result, cpu }]);
        process.stdout.write(`  round ${round}: ${scenario.name} / ${contender.name}: ${result.requestsPerSecond.toFixed(0)} req/s, ${cpu?.toFixed(1) ?? '-'} CPU µs/req\n`);
      }
    }
  }
  const rows: Row[] = [...samples].map(([key, runs]) => {
    const [scenario, target] = key.split('\u0000') as [string, string];
    const pick = (f: (r: LoadResult) => number): number => median(runs.map((run) => f(run.result)));
    const cpus = runs.flatMap((run) => (run.cpu === undefined ? [] : [run.cpu]));
    return {
      scenario,
      target,
      result: { requestsPerSecond: pick((r) => r.requestsPerSecond), p50: pick((r) => r.p50), p99: pick((r) => r.p99), errors: runs.reduce((n, run) => n + run.result.errors, 0), non2xx: runs.reduce((n, run) => n + run.result.non2xx, 0) },
      cpuPerRequest: cpus.length > 0 ? median(cpus) : undefined,
    };
  });
  print(rows);

  const ratios: Record<string, Record<string, number>> = {};
  for (const scenario of scenarios) {
    const get = (target: string): LoadResult | undefined => rows.find((r) => r.scenario === scenario.name && r.target === target)?.result;
    const pg = get('permgate')!;
    const bare = get('bare fastify + http-proxy')!;
    const direct = get('direct')!;
    const cpu = (target: string): number | undefined => rows.find((r) => r.scenario === scenario.name && r.target === target)?.cpuPerRequest;
    ratios[scenario.name] = {
      'permgate/bare CPU per request': (cpu('permgate') ?? NaN) / (cpu('bare fastify + http-proxy') ?? NaN),
      'permgate/bare req/s': pg.requestsPerSecond / bare.requestsPerSecond,
      'permgate/direct req/s': pg.requestsPerSecond / direct.requestsPerSecond,
      'permgate/bare p99': pg.p99 / bare.p99,
    };
    const onRedis = get('permgate on Redis');
    if (onRedis) ratios[scenario.name]!['permgate on Redis/bare req/s'] = onRedis.requestsPerSecond / bare.requestsPerSecond;
    const uncached = get('permgate, no token cache');
    if (uncached) ratios[scenario.name]!['permgate/no-cache req/s'] = pg.requestsPerSecond / uncached.requestsPerSecond;
    const n = get('nginx');
    if (n) ratios[scenario.name]!['permgate/nginx req/s'] = pg.requestsPerSecond / n.requestsPerSecond;
  }
  process.stdout.write('\nratios\n');
  for (const [scenario, values] of Object.entries(ratios)) {
    process.stdout.write(`  ${scenario}: ${Object.entries(values).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}\n`);
  }
  const dir = join(ROOT, 'bench/results');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'latest.json'), JSON.stringify({ date: new Date().toISOString(), settings, rows, ratios }, null, 2));
  for (const contender of contenders.reverse()) await contender.stop();
  await redis?.stop();
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  stopAll();
  process.exitCode = 1;
});
