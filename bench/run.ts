// `npm run bench`: the same requests against the origin directly, through a bare Fastify + @fastify/http-proxy,
// through permgate (and nginx when installed), all in one run and in interleaved rounds; prints the figures with the
// ratios that matter and writes them to bench/results/latest.json for bench/RESULTS.md.
import { raisedLimits, withoutTokenCache } from './config-variants.js';
import { startBareProxy, startNginx, startOrigin, startPermgate, startRedis, type Contender } from './contenders.js';
import { formatRatios, formatRows, ratiosOf, summarize, type RatioSpec } from './report.js';
import { AUTHENTICATED_ROUTE, BENCH_JWT_SECRET, benchToken, describeScenario, scenarios } from './scenarios.js';
import { runRounds } from './rounds.js';
import { readSettings } from './settings.js';
import { preflight } from './preflight.js';
import { writeResultsFile } from './results-file.js';

interface Target {
  readonly contender: Contender;
  /** The scenarios it is loaded with; all when absent. Variants that only differ on some scenarios skip the rest. */
  readonly only?: readonly string[];
}

const RATIOS: readonly RatioSpec[] = [
  { of: 'permgate', to: 'bare-proxy', metric: 'requestsPerSecond' },
  { of: 'permgate', to: 'bare-proxy', metric: 'p99' },
  { of: 'permgate', to: 'direct', metric: 'requestsPerSecond' },
  { of: 'permgate', to: 'direct', metric: 'p99' },
  { of: 'permgate', to: 'bare-proxy', metric: 'cpuPerRequest' },
  { of: 'permgate', to: 'permgate (no token cache)', metric: 'requestsPerSecond' },
  { of: 'permgate (Redis)', to: 'bare-proxy', metric: 'requestsPerSecond' },
  { of: 'permgate', to: 'nginx', metric: 'requestsPerSecond' },
];

const out = (text: string): void => void process.stdout.write(text);

async function startTargets(started: Contender[]): Promise<Target[]> {
  const keep = (contender: Contender): Contender => (started.push(contender), contender);
  const origin = keep(await startOrigin());
  const env = { PERMGATE_JWT_SECRET: BENCH_JWT_SECRET };
  const targets: Target[] = [
    { contender: origin },
    { contender: keep(await startBareProxy(origin.url)) },
    { contender: keep(await startPermgate(origin.url, { name: 'permgate', env, editConfig: raisedLimits })) },
    {
      contender: keep(await startPermgate(origin.url, { name: 'permgate (no token cache)', env, editConfig: (y) => withoutTokenCache(raisedLimits(y)) })),
      only: [AUTHENTICATED_ROUTE],
    },
  ];
  const redis = await startRedis();
  if (redis) {
    keep(redis);
    // Rate limits and revocations shared through a private Redis: one Redis round-trip per request.
    const onRedis = await startPermgate(origin.url, { name: 'permgate (Redis)', env: { ...env, REDIS_URL: redis.url }, editConfig: raisedLimits });
    targets.push({ contender: keep(onRedis), only: [AUTHENTICATED_ROUTE] });
  } else out('redis-server: not on PATH, the permgate (Redis) target is skipped\n');
  const nginx = await startNginx(origin.url);
  if (nginx) targets.push({ contender: keep(nginx) });
  else out('nginx: not on PATH, the nginx target is skipped\n');
  return targets;
}

async function main(): Promise<void> {
  const settings = readSettings(process.env);
  const list = scenarios(await benchToken());
  const started: Contender[] = [];
  try {
    const targets = await startTargets(started);
    const pairs = list.flatMap((scenario) => targets.filter((t) => !t.only || t.only.includes(scenario.name)).map((t) => ({ scenario, contender: t.contender })));
    for (const { scenario, contender } of pairs) await preflight(contender, scenario);

    out(`targets: ${targets.map((t) => `${t.contender.name} ${t.contender.url}`).join(', ')}\n`);
    out(`load: ${settings.connections} connections, pipelining ${settings.pipelining}, ${settings.durationSeconds} s measured after ${settings.warmupSeconds} s warm-up, ${settings.rounds} interleaved round(s), medians\n`);
    const samples = await runRounds(pairs, settings, out);
    const rows = pairs.map((pair) => summarize(pair.scenario.name, pair.contender.name, samples.get(pair)!));
    const ratios = ratiosOf(rows, RATIOS);
    out(`\n${formatRows(rows)}\n${formatRatios(ratios)}`);
    const written = await writeResultsFile('latest.json', {
      settings,
      scenarios: list.map(describeScenario),
      rows,
      ratios,
      samples: pairs.map((pair) => ({ scenario: pair.scenario.name, target: pair.contender.name, runs: samples.get(pair)!.map((s) => ({ ...s.result, cpuPerRequest: s.cpuPerRequest ?? null })) })),
    });
    out(`\nwritten: ${written}\n`);
  } finally {
    // The proxies before the origin they drain to; redis after the permgate that uses it.
    for (const contender of started.reverse()) await contender.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
