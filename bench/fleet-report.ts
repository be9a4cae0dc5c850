// What `npm run bench:fleet` found: per scenario and target the medians over the rounds, every meter per request, and
// the ratios issue 12 asks for, as text tables.
import { median, table, type Row } from './report.js';
import type { FleetSample } from './fleet-rounds.js';

/** A row of report.ts, with every meter of the target in place of the one CPU figure. */
export interface FleetRow extends Omit<Row, 'cpuPerRequest'> {
  /** From every response's own time (only in the fixed-rate runs); null elsewhere. */
  readonly p99Exact: number | null;
  /** Measured runs that got no response at all (a target that stopped answering): left out of every median, shown. */
  readonly stalledRuns: number;
  /** Meter name → median over the rounds of its increase per response; null when never readable. */
  readonly perRequest: Readonly<Record<string, number | null>>;
}

export function summarizeFleet(scenario: string, target: string, all: readonly FleetSample[]): FleetRow {
  // A run with no response at all would enter the medians as 0 req/s: it is counted instead, and the row says so.
  const answered = all.filter((s) => s.result.requests > 0);
  const samples = answered.length > 0 ? answered : all;
  const pick = (values: readonly (number | undefined)[]): number | null => {
    const known = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
    return known.length > 0 ? median(known) : null;
  };
  const names = [...new Set(samples.flatMap((s) => Object.keys(s.perRequest)))];
  return {
    scenario,
    target,
    rounds: all.length,
    stalledRuns: all.length - answered.length,
    requestsPerSecond: median(samples.map((s) => s.result.requestsPerSecond)),
    p50: median(samples.map((s) => s.result.p50)),
    p99: median(samples.map((s) => s.result.p99)),
    p99Exact: pick(samples.map((s) => s.result.p99Exact)),
    errors: samples.reduce((n, s) => n + s.result.errors, 0),
    non2xx: samples.reduce((n, s) => n + s.result.non2xx, 0),
    perRequest: Object.fromEntries(names.map((name) => [name, pick(samples.map((s) => s.perRequest[name]))])),
  };
}

/**
 * `of / to`, or null when either is unknown or `to` is 0.
 * @example ratio(3, 4) // 0.75
 * @example ratio(null, 4) // null
 */
export function ratio(of: number | null | undefined, to: number | null | undefined): number | null {
  return of == null || to == null || to === 0 ? null : of / to;
}

/**
 * Sums the named meters of a row, null when any is unknown (a missing part would read as a saving).
 * @example meterSum({ perRequest: { a: 2, b: 3 } }, ['a', 'b']) // 5
 */
export function meterSum(row: Pick<FleetRow, 'perRequest'>, names: readonly string[]): number | null {
  let sum = 0;
  for (const name of names) {
    const value = row.perRequest[name];
    if (value == null) return null;
    sum += value;
  }
  return sum;
}

/** @example formatFigure(0.8349) // '0.83' @example formatFigure(null) // '-' @example formatFigure(12.345, 1) // '12.3' */
export function formatFigure(value: number | null | undefined, digits = 2): string {
  return value == null || !Number.isFinite(value) ? '-' : value.toFixed(digits);
}

export function formatFleetRows(rows: readonly FleetRow[]): string {
  const meters = [...new Set(rows.flatMap((r) => Object.keys(r.perRequest)))];
  return table(
    ['scenario', 'target', 'req/s', 'p50 ms', 'p99 ms', 'p99 exact ms', 'errors', 'non-2xx', 'stalled runs', ...meters.map((m) => `${m} /req`)],
    rows.map((r) => [
      r.scenario,
      r.target,
      r.requestsPerSecond.toFixed(0),
      String(r.p50),
      String(r.p99),
      formatFigure(r.p99Exact),
      String(r.errors),
      String(r.non2xx),
      String(r.stalledRuns),
      ...meters.map((m) => formatFigure(r.perRequest[m])),
    ]),
    2,
  );
}

export interface FleetRatio {
  readonly label: string;
  readonly scenario: string;
  readonly value: number | null;
  /** What issue 12 aims at, e.g. '>= 1.0'; shown beside the figure. */
  readonly aim?: string;
}

/** One line per ratio, one column per scenario, plus the aim. */
export function formatFleetRatios(ratios: readonly FleetRatio[]): string {
  const scenarios = [...new Set(ratios.map((r) => r.scenario))];
  const labels = [...new Set(ratios.map((r) => r.label))];
  return table(
    ['ratio', ...scenarios, 'aim'],
    labels.map((label) => [
      label,
      ...scenarios.map((s) => formatFigure(ratios.find((r) => r.scenario === s && r.label === label)?.value)),
      ratios.find((r) => r.label === label)?.aim ?? '',
    ]),
    1,
  );
}
