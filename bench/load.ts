// One measured autocannon run (after a warm-up), reduced to the numbers the bench prints.
import autocannon from 'autocannon';

export interface Scenario {
  readonly name: string;
  readonly path: string;
  readonly method?: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
}

export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  readonly non2xx: number;
}

export interface LoadSettings {
  readonly connections: number;
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
}

function once(url: string, scenario: Scenario, connections: number, duration: number): Promise<autocannon.Result> {
  return autocannon({
    url: url + scenario.path,
    method: scenario.method ?? 'GET',
    headers: scenario.headers ?? {},
    connections,
    duration,
    pipelining: 1,
  });
}

/** `beforeMeasure` runs between the warm-up and the measured run (e.g. to read the server's CPU counter). */
export async function load(url: string, scenario: Scenario, settings: LoadSettings, beforeMeasure?: () => Promise<void>): Promise<LoadResult> {
  await once(url, scenario, settings.connections, settings.warmupSeconds);
  await beforeMeasure?.();
  const result = await once(url, scenario, settings.connections, settings.durationSeconds);
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}
