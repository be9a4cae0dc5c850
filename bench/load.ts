// One measured autocannon run against one target (after a warm-up), reduced to the numbers the bench reports.
import autocannon from 'autocannon';
import type { Scenario } from './scenarios.js';
import type { BenchSettings } from './settings.js';

export interface LoadResult {
  /** Average over the measured run's one-second samples. */
  readonly requestsPerSecond: number;
  /** Responses received in the measured run, whatever their status. */
  readonly requests: number;
  readonly p50: number;
  readonly p99: number;
  /** Connection errors, timeouts included (autocannon counts a timeout as an error too). */
  readonly errors: number;
  readonly non2xx: number;
}

function run(url: string, scenario: Scenario, settings: BenchSettings, durationSeconds: number): Promise<autocannon.Result> {
  return autocannon({
    url: url + scenario.path,
    method: scenario.method,
    headers: { ...scenario.headers },
    ...(scenario.body === undefined ? {} : { body: scenario.body }),
    connections: settings.connections,
    pipelining: settings.pipelining,
    duration: durationSeconds,
  });
}

/** `beforeMeasure` runs between the warm-up and the measured run, e.g. to read the server's CPU counter. */
export async function load(url: string, scenario: Scenario, settings: BenchSettings, beforeMeasure?: () => Promise<void>): Promise<LoadResult> {
  if (settings.warmupSeconds > 0) await run(url, scenario, settings, settings.warmupSeconds);
  await beforeMeasure?.();
  const result = await run(url, scenario, settings, settings.durationSeconds);
  return {
    requestsPerSecond: result.requests.average,
    requests: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
  };
}
