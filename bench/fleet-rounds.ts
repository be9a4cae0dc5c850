// Interleaved rounds for `npm run bench:fleet`: like rounds.ts, but each target carries its own meters (the CPU of a
// process tree, its Redis's CPU, commands and reads) and may be loaded at a fixed rate. Each meter is read right
// before and after the measured run; its figure is the difference per response.
import type { Contender } from './contenders.js';
import { load, type LoadResult, type LoadShape } from './load.js';
import type { Scenario } from './scenarios.js';
import type { BenchSettings } from './settings.js';

/** A counter that only grows (CPU µs, commands, reads); undefined when it cannot be read. */
export interface Meter {
  readonly name: string;
  read(): Promise<number | undefined>;
}

export interface FleetPair {
  readonly scenario: Scenario;
  readonly contender: Contender;
  readonly meters: readonly Meter[];
  readonly shape?: LoadShape;
}

export interface FleetSample {
  readonly result: LoadResult;
  /** Meter name → its increase per response in the measured run; undefined when unreadable. */
  readonly perRequest: Readonly<Record<string, number | undefined>>;
}

const readAll = (meters: readonly Meter[]): Promise<(number | undefined)[]> => Promise.all(meters.map((meter) => meter.read().catch(() => undefined)));

/**
 * Each meter's increase per response.
 * @example perResponse([{ name: 'cpu' }], [100], [400], 30) // { cpu: 10 }
 */
export function perResponse(meters: readonly Pick<Meter, 'name'>[], before: readonly (number | undefined)[], after: readonly (number | undefined)[], responses: number): Record<string, number | undefined> {
  return Object.fromEntries(
    meters.map((meter, i) => {
      const [from, to] = [before[i], after[i]];
      return [meter.name, from === undefined || to === undefined || responses === 0 ? undefined : (to - from) / responses];
    }),
  );
}

/** The samples of each pair, in `pairs` order; `out` gets one progress line per run. */
export async function runFleetRounds(pairs: readonly FleetPair[], settings: BenchSettings, out: (text: string) => void): Promise<Map<FleetPair, FleetSample[]>> {
  const samples = new Map<FleetPair, FleetSample[]>(pairs.map((pair) => [pair, []]));
  for (let round = 1; round <= settings.rounds; round++) {
    // Every other round in reverse, as in rounds.ts, so no target always follows the same neighbour.
    const order = round % 2 === 1 ? pairs : [...pairs].reverse();
    for (const pair of order) {
      const { scenario, contender, meters } = pair;
      await contender.checkRunning();
      let before: (number | undefined)[] = [];
      const result = await load(contender.url, scenario, settings, async () => void (before = await readAll(meters)), pair.shape);
      const after = await readAll(meters);
      await contender.checkRunning();
      const perRequest = perResponse(meters, before, after, result.requests);
      samples.get(pair)!.push({ result, perRequest });
      const figures = meters.map((meter) => `${meter.name} ${perRequest[meter.name]?.toFixed(1) ?? '-'}`).join(', ');
      const p99 = result.p99Exact === undefined ? `${result.p99} ms` : `${result.p99Exact.toFixed(2)} ms`;
      out(`  round ${round}: ${scenario.name} / ${contender.name}: ${result.requestsPerSecond.toFixed(0)} req/s, p99 ${p99}, ${result.non2xx} non-2xx, ${result.errors} errors${figures ? ', ' + figures : ''}\n`);
    }
  }
  return samples;
}
