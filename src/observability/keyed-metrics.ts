// The per-request metrics (requests, gateway and upstream durations), kept without prom-client's per-call work. A
// prom-client counter or histogram validates and hashes its label object on every call: three of them per proxied
// request were ~4 % of the gateway's CPU in a profile. These keep one series per label combination in a Map found by
// the joined label values, and hand prom-client's registry the same text at scrape time, so /metrics is unchanged.
import type { Registry } from 'prom-client';

interface Options<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly registers: readonly Registry[];
}

type Labels<L extends string> = Readonly<Record<L, string | number>>;

/** What prom-client's registry reads from a metric at scrape time. */
interface MetricValue {
  readonly value: number;
  readonly labels: Record<string, string | number>;
  readonly metricName?: string;
}

abstract class KeyedMetric<L extends string, S extends { readonly labels: Record<string, string | number> }> {
  readonly name: string;
  readonly help: string;
  abstract readonly type: 'counter' | 'histogram';
  readonly aggregator = 'sum';
  protected readonly series = new Map<string, S>();
  /** Counts resets: a series handed out before one is no longer in `series`. */
  protected generation = 0;
  readonly #labelNames: readonly L[];

  constructor(options: Options<L>) {
    this.name = options.name;
    this.help = options.help;
    this.#labelNames = options.labelNames;
    for (const registry of options.registers) registry.registerMetric(this as never);
  }

  /** The series of these labels, made on first use. */
  protected seriesOf(labels: Labels<L>, make: (labels: Record<string, string | number>) => S): S {
    const names = this.#labelNames;
    let key = '';
    for (let i = 0; i < names.length; i++) key += `${labels[names[i]!]}\u0000`;
    let series = this.series.get(key);
    if (series === undefined) {
      const copy: Record<string, string | number> = {};
      for (const name of names) copy[name] = labels[name];
      series = make(copy);
      this.series.set(key, series);
    }
    return series;
  }

  protected abstract values(): MetricValue[];

  /** prom-client's registry calls this at scrape time. */
  get(): { name: string; help: string; type: string; values: MetricValue[]; aggregator: string } {
    return { name: this.name, help: this.help, type: this.type, values: this.values(), aggregator: this.aggregator };
  }

  reset(): void {
    this.series.clear();
    this.generation++;
  }
}

interface CounterSeries {
  readonly labels: Record<string, string | number>;
  value: number;
}

export class KeyedCounter<L extends string> extends KeyedMetric<L, CounterSeries> {
  readonly type = 'counter';

  inc(labels: Labels<L>, value = 1): void {
    this.seriesOf(labels, (copy) => ({ labels: copy, value: 0 })).value += value;
  }

  /** One series, found once: for a count taken on every decision, where even building the key shows. */
  child(labels: Labels<L>): { inc(value?: number): void } {
    let series: CounterSeries | undefined;
    let generation = -1;
    return {
      inc: (value = 1): void => {
        if (generation !== this.generation || series === undefined) {
          series = this.seriesOf(labels, (copy) => ({ labels: copy, value: 0 }));
          generation = this.generation;
        }
        series.value += value;
      },
    };
  }

  protected values(): MetricValue[] {
    return [...this.series.values()].map((s) => ({ value: s.value, labels: s.labels }));
  }
}

interface HistogramSeries {
  readonly labels: Record<string, string | number>;
  /** Observations per bucket (not cumulative); the last slot is +Inf. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

export class KeyedHistogram<L extends string> extends KeyedMetric<L, HistogramSeries> {
  readonly type = 'histogram';
  readonly #buckets: readonly number[];

  constructor(options: Options<L> & { readonly buckets: readonly number[] }) {
    super(options);
    this.#buckets = [...options.buckets].sort((a, b) => a - b);
  }

  observe(labels: Labels<L>, value: number): void {
    if (!Number.isFinite(value)) return;
    const buckets = this.#buckets;
    const series = this.seriesOf(labels, (copy) => ({ labels: copy, counts: new Float64Array(buckets.length + 1), sum: 0, count: 0 }));
    let i = 0;
    while (i < buckets.length && value > buckets[i]!) i++;
    series.counts[i]!++;
    series.sum += value;
    series.count++;
  }

  /** In prom-client's order: per series, its cumulative buckets with `le`, then `_sum` and `_count`. */
  protected values(): MetricValue[] {
    const out: MetricValue[] = [];
    const buckets = this.#buckets;
    for (const series of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i <= buckets.length; i++) {
        cumulative += series.counts[i]!;
        out.push({ value: cumulative, labels: { le: i < buckets.length ? buckets[i]! : '+Inf', ...series.labels }, metricName: `${this.name}_bucket` });
      }
      out.push({ value: series.sum, labels: series.labels, metricName: `${this.name}_sum` });
      out.push({ value: series.count, labels: series.labels, metricName: `${this.name}_count` });
    }
    return out;
  }
}
