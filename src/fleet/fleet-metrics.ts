// One scrape for the whole process tree (issue 12): the primary's registry serves its own metrics merged with every
// worker's (counters summed, histograms merged bucket by bucket, by each metric's prom-client `aggregator`).
// Not prom-client's AggregatorRegistry.clusterMetrics(): it waits a fixed 5 s and fails the whole scrape when one
// worker is slow. Here each worker gets `deadline` ms; one that misses it costs its own series, not the scrape, and
// `permgate_fleet_scrape_workers{outcome}` says how many answered.
import { AggregatorRegistry, Counter, Gauge, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';

export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

/** How long one worker may take to send its metrics before a scrape goes on without them. */
export const GATHER_DEADLINE = 1_000;

/** What the primary's supervisor offers a scrape: each serving worker's metrics, or undefined past the deadline. */
export type Gather = (deadline: number) => Promise<readonly (MetricsJson | undefined)[]>;

/** The supervisor's own metrics, registered in the primary's registry. */
export class FleetMetrics {
  readonly scrapeWorkers: Gauge<'outcome'>;
  readonly workers: Gauge<'state'>;
  readonly restarts: Counter<'reason'>;

  constructor(registry: Registry) {
    this.scrapeWorkers = new Gauge({
      name: 'permgate_fleet_scrape_workers',
      help: 'Workers whose metrics the last scrape holds (answered) or left out because they missed the deadline (late)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    });
    this.workers = new Gauge({
      name: 'permgate_fleet_workers',
      help: 'Worker processes by state: serving (listening) or starting (forked, not yet listening)',
      labelNames: ['state'] as const,
      registers: [registry],
    });
    this.restarts = new Counter({
      name: 'permgate_fleet_worker_restarts_total',
      help: 'Workers started again after dying, by why they died: crashed (after serving) or start-failed (before)',
      labelNames: ['reason'] as const,
      registers: [registry],
    });
  }
}

/** A registry whose exposition is the whole fleet: `own` (the primary's metrics) merged with what `gather` brings. */
export class FleetRegistry extends Registry {
  readonly #own: Registry;
  readonly #gather: Gather;
  readonly #metrics: FleetMetrics;
  readonly #deadline: number;

  constructor(own: Registry, gather: Gather, metrics: FleetMetrics, deadline = GATHER_DEADLINE) {
    super();
    this.#own = own;
    this.#gather = gather;
    this.#metrics = metrics;
    this.#deadline = deadline;
  }

  /** Every serving worker's metrics (those in time) merged with the primary's own. */
  async #merged(): Promise<Registry> {
    const answers = await this.#gather(this.#deadline);
    const answered = answers.filter((json): json is MetricsJson => json !== undefined);
    this.#metrics.scrapeWorkers.set({ outcome: 'answered' }, answered.length);
    this.#metrics.scrapeWorkers.set({ outcome: 'late' }, answers.length - answered.length);
    return AggregatorRegistry.aggregate([await this.#own.getMetricsAsJSON(), ...answered]);
  }

  override async getMetricsAsJSON(): Promise<MetricsJson> {
    return (await this.#merged()).getMetricsAsJSON();
  }

  override async metrics(): Promise<string> {
    return (await this.#merged()).metrics();
  }
}
