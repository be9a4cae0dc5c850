// Durations, rates and sizes as people write them; anything else is refused.
import t from 'tap';
import { parseDuration, parseRate, parseSize } from '../../src/config/units.js';

t.test('durations', async (t) => {
  t.equal(parseDuration('250ms'), 250);
  t.equal(parseDuration('5s'), 5000);
  t.equal(parseDuration('1.5s'), 1500);
  t.equal(parseDuration('2m'), 120_000);
  t.equal(parseDuration('1h'), 3_600_000);
  for (const bad of ['5', '-5s', 's', '5 parsecs', '']) t.equal(parseDuration(bad), undefined, bad);
});

t.test('rates', async (t) => {
  t.same(parseRate('100/s'), { limit: 100, windowMs: 1000 });
  t.same(parseRate('5/min'), { limit: 5, windowMs: 60_000 });
  t.same(parseRate('10/30s'), { limit: 10, windowMs: 30_000 });
  for (const bad of ['0/s', '100', '/s', '5/fortnight', '-1/s']) t.equal(parseRate(bad), undefined, bad);
});

t.test('sizes', async (t) => {
  t.equal(parseSize('512kb'), 524_288);
  t.equal(parseSize('10MB'), 10_485_760);
  for (const bad of ['10', 'lots', '-1kb']) t.equal(parseSize(bad), undefined, bad);
});
