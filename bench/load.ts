// One measured autocannon run against one target (after a warm-up), reduced to the numbers the bench reports.
import autocannon from 'autocannon';
import { freshConnectionLoad } from './fresh-connections.js';
import type { Scenario } from './scenarios.js';
import type { BenchSettings } from './settings.js';
import { connectionShare } from './users.js';

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
  /** p99 in ms from every response's own timing (autocannon's histogram keeps whole ms); only with `exactLatency`. */
  readonly p99Exact?: number;
}

/** How a run differs from the default closed loop; every field optional, so `npm run bench` sends what it always sent. */
export interface LoadShape {
  /** Requests per second over all connections (autocannon's `overallRate`); absent: as fast as the target answers. */
  readonly overallRate?: number;
  /** Keep every response's time to compute `p99Exact`. */
  readonly exactLatency?: boolean;
  /** Every request on a connection of its own (fresh-connections.ts) instead of autocannon's kept-alive ones. */
  readonly newConnectionPerRequest?: boolean;
}

/**
 * With header variants (many users), each connection gets its own strided share of them as prebuilt requests: the
 * load generator builds each request's bytes once per run, not once per request.
 */
function perConnectionRequests(scenario: Scenario, connections: number): Pick<autocannon.Options, 'setupClient'> {
  const variants = scenario.headerVariants;
  if (variants === undefined || variants.length <= 1) return {};
  let next = 0;
  return {
    setupClient(client) {
      const share = connectionShare(variants, next++, connections);
      client.setRequests(share.map((headers) => ({ method: scenario.method, path: scenario.path, headers: { ...headers } })));
    },
  };
}

function run(url: string, scenario: Scenario, settings: BenchSettings, durationSeconds: number, shape: LoadShape): Promise<autocannon.Result> {
  return autocannon({
    url: url + scenario.path,
    method: scenario.method,
    headers: { ...scenario.headers },
    ...(scenario.body === undefined ? {} : { body: scenario.body }),
    connections: settings.connections,
    pipelining: settings.pipelining,
    duration: durationSeconds,
    ...(shape.overallRate === undefined ? {} : { overallRate: shape.overallRate }),
    ...perConnectionRequests(scenario, settings.connections),
  });
}

/** The `fraction` quantile of unsorted samples (nearest rank). @example quantile([5, 1, 3, 2, 4], 0.5) // 3 */
export function quantile(samples: readonly number[], fraction: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = Float64Array.from(samples).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))]!;
}

/** `beforeMeasure` runs between the warm-up and the measured run, e.g. to read the server's CPU counter. */
export async function load(url: string, scenario: Scenario, settings: BenchSettings, beforeMeasure?: () => Promise<void>, shape: LoadShape = {}): Promise<LoadResult> {
  if (shape.newConnectionPerRequest === true) {
    if (settings.warmupSeconds > 0) await freshConnectionLoad(url, scenario, settings.connections, settings.warmupSeconds);
    await beforeMeasure?.();
    return freshConnectionLoad(url, scenario, settings.connections, settings.durationSeconds);
  }
  if (settings.warmupSeconds > 0) await run(url, scenario, settings, settings.warmupSeconds, shape);
  await beforeMeasure?.();
  const measured = run(url, scenario, settings, settings.durationSeconds, shape);
  const times: number[] = [];
  if (shape.exactLatency) (measured as unknown as NodeJS.EventEmitter).on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => void times.push(ms));
  const result = await measured;
  return {
    requestsPerSecond: result.requests.average,
    requests: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
    ...(shape.exactLatency ? { p99Exact: quantile(times, 0.99) } : {}),
  };
}
