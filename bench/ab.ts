// `npm run bench:ab -- DIR`: this build against another built checkout (DIR, e.g. a `git worktree` of an older
// commit after `npx tsc -p tsconfig.json` in it), both in front of one origin, with the bare proxy beside them, in
// interleaved rounds. Effects smaller than the machine's run-to-run swing (±25 % here) only show in one harness.
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { raisedLimits } from './config-variants.js';
import { REPO_ROOT, startBareProxy, startOrigin, startPermgate, type Contender } from './contenders.js';
import { formatRatios, formatRows, ratiosOf, summarize, type RatioSpec } from './report.js';
import { BENCH_JWT_SECRET, benchToken, scenarios } from './scenarios.js';
import { runRounds } from './rounds.js';
import { readSettings } from './settings.js';

const NEW = 'permgate (this build)';
const OLD = 'permgate (baseline)';
const RATIOS: readonly RatioSpec[] = [
  { of: NEW, to: OLD, metric: 'requestsPerSecond' },
  { of: NEW, to: OLD, metric: 'cpuPerRequest' },
  { of: NEW, to: OLD, metric: 'p99' },
  { of: NEW, to: 'bare-proxy', metric: 'requestsPerSecond' },
  { of: OLD, to: 'bare-proxy', metric: 'requestsPerSecond' },
];

const out = (text: string): void => void process.stdout.write(text);

async function main(): Promise<void> {
  const dir = process.argv[2] ?? process.env.BENCH_BASELINE;
  if (dir === undefined) throw new Error('usage: npm run bench:ab -- DIR (a built checkout of the baseline commit)');
  const baseline = resolve(dir);
  const settings = readSettings(process.env);
  const list = scenarios(await benchToken());
  const started: Contender[] = [];
  const keep = (contender: Contender): Contender => (started.push(contender), contender);
  try {
    const origin = keep(await startOrigin());
    const env = { PERMGATE_JWT_SECRET: BENCH_JWT_SECRET };
    const targets = [
      keep(await startBareProxy(origin.url)),
      keep(await startPermgate(origin.url, { name: NEW, env, editConfig: raisedLimits })),
      keep(await startPermgate(origin.url, { name: OLD, env, editConfig: raisedLimits, root: baseline })),
    ];
    const pairs = list.flatMap((scenario) => targets.map((contender) => ({ scenario, contender })));
    out(`baseline: ${baseline}\nload: ${settings.connections} connections, ${settings.durationSeconds} s after ${settings.warmupSeconds} s warm-up, ${settings.rounds} interleaved rounds, medians\n`);
    const samples = await runRounds(pairs, settings, out);
    const rows = pairs.map((pair) => summarize(pair.scenario.name, pair.contender.name, samples.get(pair)!));
    const ratios = ratiosOf(rows, RATIOS);
    out(`\n${formatRows(rows)}\n${formatRatios(ratios)}`);
    const results = join(REPO_ROOT, 'bench/results');
    await mkdir(results, { recursive: true });
    await writeFile(join(results, 'ab.json'), JSON.stringify({ date: new Date().toISOString(), baseline, settings, rows, ratios }, null, 2) + '\n');
  } finally {
    for (const contender of started.reverse()) await contender.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
