// Interleaved rounds: every (scenario, target) pair is loaded once per round, round after round, and each run's CPU
// time of the serving process is read from /proc. Shared by `npm run bench` and `npm run bench:ab`.
import type { Contender } from './contenders.js';
import { cpuMicros } from './cpu-time.js';
import { load } from './load.js';
import type { Sample } from './report.js';
import type { Scenario } from './scenarios.js';
import type { BenchSettings } from './settings.js';

export interface Pair {
  readonly scenario: Scenario;
  readonly contender: Contender;
}

/** The samples of each pair, in `pairs` order; `out` gets one progress line per run. */
export async function runRounds<P extends Pair>(pairs: readonly P[], settings: BenchSettings, out: (text: string) => void): Promise<Map<P, Sample[]>> {
  const samples = new Map<P, Sample[]>(pairs.map((pair) => [pair, []]));
  for (let round = 1; round <= settings.rounds; round++) {
    // Every other round runs in reverse, so no target always runs right after the same neighbour (whose load leaves
    // caches, sockets in TIME_WAIT and CPU frequency behind it).
    const order = round % 2 === 1 ? pairs : [...pairs].reverse();
    for (const pair of order) {
      const { scenario, contender } = pair;
      await contender.checkRunning();
      let cpuBefore: number | undefined;
      const result = await load(contender.url, scenario, settings, async () => {
        cpuBefore = await cpuMicros(contender.pid);
      });
      const cpuAfter = await cpuMicros(contender.pid);
      await contender.checkRunning();
      const cpuPerRequest = cpuBefore === undefined || cpuAfter === undefined || result.requests === 0 ? undefined : (cpuAfter - cpuBefore) / result.requests;
      samples.get(pair)!.push({ result, cpuPerRequest });
      out(`  round ${round}: ${scenario.name} / ${contender.name}: ${result.requestsPerSecond.toFixed(0)} req/s, p99 ${result.p99} ms, ${result.non2xx} non-2xx, ${cpuPerRequest?.toFixed(1) ?? '-'} CPU µs/req\n`);
    }
  }
  return samples;
}
