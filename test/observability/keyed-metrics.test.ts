// The per-request metrics skip prom-client's per-call label work but must scrape exactly as prom-client's own
// counter and histogram would: same series, same buckets, same text.
import { Counter, Histogram, Registry } from 'prom-client';
import t from 'tap';
import { KeyedCounter, KeyedHistogram } from '../../src/observability/keyed-metrics.js';

const BUCKETS = [0.001, 0.01, 0.1, 1];

t.test('a keyed histogram and counter scrape exactly like prom-client with the same observations', async (t) => {
  const ours = new Registry();
  const theirs = new Registry();
  const histogram = new KeyedHistogram({ name: 'h_seconds', help: 'h', labelNames: ['route', 'outcome'] as const, buckets: BUCKETS, registers: [ours] });
  const reference = new Histogram({ name: 'h_seconds', help: 'h', labelNames: ['route', 'outcome'] as const, buckets: BUCKETS, registers: [theirs] });
  const counter = new KeyedCounter({ name: 'c_total', help: 'c', labelNames: ['route', 'status', 'code'] as const, registers: [ours] });
  const referenceCounter = new Counter({ name: 'c_total', help: 'c', labelNames: ['route', 'status', 'code'] as const, registers: [theirs] });
  // Values on bucket bounds, between them, above the last, and zero; series in an interleaved order.
  const values = [0, 0.001, 0.0011, 0.01, 0.05, 0.1, 0.5, 1, 2, 30];
  for (let i = 0; i < 200; i++) {
    const labels = { route: i % 3 === 0 ? '/a/**' : '/b/:id', outcome: i % 4 === 0 ? '5xx' : 'ok' };
    histogram.observe(labels, values[i % values.length]!);
    reference.observe(labels, values[i % values.length]!);
    const counted = { route: labels.route, status: 200 + (i % 2) * 229, code: i % 2 ? 'PG_RATE_LIMITED' : '' };
    counter.inc(counted);
    referenceCounter.inc(counted);
  }
  t.equal(await ours.metrics(), await theirs.metrics());
  t.match(await ours.metrics(), /h_seconds_bucket\{le="\+Inf",route="\/a\/\*\*",outcome="5xx"\} 17/);
});

t.test('a label value cannot be mistaken for two (values are joined with a separator no config value holds)', async (t) => {
  const registry = new Registry();
  const counter = new KeyedCounter({ name: 'c_total', help: 'c', labelNames: ['a', 'b'] as const, registers: [registry] });
  counter.inc({ a: 'x', b: 'yz' });
  counter.inc({ a: 'xy', b: 'z' });
  const text = await registry.metrics();
  t.match(text, /c_total\{a="x",b="yz"\} 1/);
  t.match(text, /c_total\{a="xy",b="z"\} 1/);
});

t.test('reset empties every series', async (t) => {
  const registry = new Registry();
  const histogram = new KeyedHistogram({ name: 'h', help: 'h', labelNames: ['r'] as const, buckets: BUCKETS, registers: [registry] });
  histogram.observe({ r: 'x' }, 0.5);
  registry.resetMetrics();
  t.notMatch(await registry.metrics(), /h_bucket/);
});
