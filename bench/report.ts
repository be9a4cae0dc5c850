// What a bench run found: per scenario and target the medians over the rounds, and the ratios that matter, as text.
import type { LoadResult } from './load.js';

export interface Sample {
  readonly result: LoadResult;
  /** CPU microseconds the serving process spent per request in the measured run; undefined when unreadable. */
  readonly cpuPerRequest: number | undefined;
}

export interface Row {
  readonly scenario: string;
  readonly target: string;
  readonly rounds: number;
  /** Median over the rounds of each run's average. */
  readonly requestsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  /** Summed over the rounds. */
  readonly errors: number;
  readonly non2xx: number;
  /** null (not undefined) so that it survives JSON. */
  readonly cpuPerRequest: number | null;
}

export type Metric = 'requestsPerSecond' | 'p99' | 'cpuPerRequest';

export interface RatioSpec {
  readonly of: string;
  readonly to: string;
  readonly metric: Metric;
}

export interface Ratio {
  readonly scenario: string;
  readonly label: string;
  readonly value: number;
}

const METRIC_LABELS: Record<Metric, string> = { requestsPerSecond: 'req/s', p99: 'p99', cpuPerRequest: 'CPU per request' };

/** @example median([3, 1, 2, 10]) // 2.5 */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function summarize(scenario: string, target: string, samples: readonly Sample[]): Row {
  const pick = (metric: (r: LoadResult) => number): number => median(samples.map((s) => metric(s.result)));
  const sum = (metric: (r: LoadResult) => number): number => samples.reduce((n, s) => n + metric(s.result), 0);
  const cpus = samples.flatMap((s) => (s.cpuPerRequest === undefined ? [] : [s.cpuPerRequest]));
  return {
    scenario,
    target,
    rounds: samples.length,
    requestsPerSecond: pick((r) => r.requestsPerSecond),
    p50: pick((r) => r.p50),
    p99: pick((r) => r.p99),
    errors: sum((r) => r.errors),
    non2xx: sum((r) => r.non2xx),
    cpuPerRequest: cpus.length > 0 ? median(cpus) : null,
  };
}

/** Each spec for each scenario where both targets ran and the metric was measured. */
export function ratiosOf(rows: readonly Row[], specs: readonly RatioSpec[]): Ratio[] {
  const scenarios = [...new Set(rows.map((r) => r.scenario))];
  return specs.flatMap((spec) =>
    scenarios.flatMap((scenario) => {
      const of = rows.find((r) => r.scenario === scenario && r.target === spec.of)?.[spec.metric];
      const to = rows.find((r) => r.scenario === scenario && r.target === spec.to)?.[spec.metric];
      if (of == null || to == null || to === 0) return [];
      return [{ scenario, label: `${spec.of} / ${spec.to} ${METRIC_LABELS[spec.metric]}`, value: of / to }];
    }),
  );
}

/** Columns padded to their widest cell: the first `leftColumns` left-aligned (names), the rest right-aligned (figures). */
export function table(header: readonly string[], lines: readonly (readonly string[])[], leftColumns: number): string {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const format = (cells: readonly string[]): string =>
    cells.map((c, i) => (i < leftColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [format(header), ...lines.map(format)].join('\n') + '\n';
}

export function formatRows(rows: readonly Row[]): string {
  return table(
    ['scenario', 'target', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'non-2xx', 'CPU µs/req'],
    rows.map((r) => [r.scenario, r.target, r.requestsPerSecond.toFixed(0), String(r.p50), String(r.p99), String(r.errors), String(r.non2xx), r.cpuPerRequest?.toFixed(1) ?? '-']),
    2,
  );
}

/** One line per ratio, one column per scenario. */
export function formatRatios(ratios: readonly Ratio[]): string {
  const scenarios = [...new Set(ratios.map((r) => r.scenario))];
  const labels = [...new Set(ratios.map((r) => r.label))];
  return table(
    ['ratio', ...scenarios],
    labels.map((label) => [label, ...scenarios.map((s) => ratios.find((r) => r.scenario === s && r.label === label)?.value.toFixed(2) ?? '-')]),
    1,
  );
}
