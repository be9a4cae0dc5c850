// GCRA: a burst of up to the limit, then one request per interval; no window boundary lets 2x the limit through.
import t from 'tap';
import { gcraStep } from '../../src/ratelimit/gcra.js';
import { addressBucket } from '../../src/ratelimit/rate-limiter.js';

function run(limit: number, windowMs: number, times: number[]): boolean[] {
  let tat: number | undefined;
  return times.map((now) => {
    const state = gcraStep(tat, now, { limit, windowMs });
    if (state.allowed) tat = state.tat;
    return state.allowed;
  });
}

t.test('a burst of exactly the limit, then refusals until an interval has passed', async (t) => {
  const allowed = run(5, 1000, [0, 0, 0, 0, 0, 0, 100, 199, 200]);
  t.same(allowed, [true, true, true, true, true, false, false, false, true]);
});

t.test('across any window boundary, at most the limit (plus what the time since has earned)', async (t) => {
  // 10/s: 10 at t=999 ms; at t=1000 ms a fixed window would admit 10 more. GCRA admits only what 1 ms earned: none.
  const times = [...Array(10).fill(999), ...Array(10).fill(1000)];
  t.equal(run(10, 1000, times).filter(Boolean).length, 10);
  // Over any 1-second span of a steady flood, about the limit plus the burst is admitted, never 2x per window.
  const flood = Array.from({ length: 3000 }, (_, i) => i); // one request per ms for 3 s
  const admitted = run(10, 1000, flood);
  const lastSecond = admitted.slice(2000).filter(Boolean).length;
  t.ok(lastSecond <= 10, `${lastSecond} admitted in the third second`);
});

t.test('remaining and reset describe the bucket', async (t) => {
  const first = gcraStep(undefined, 0, { limit: 4, windowMs: 1000 });
  t.match(first, { allowed: true, remaining: 3, resetMs: 250 });
  let tat = first.tat;
  for (let i = 0; i < 3; i++) tat = gcraStep(tat, 0, { limit: 4, windowMs: 1000 }).tat;
  const refused = gcraStep(tat, 0, { limit: 4, windowMs: 1000 });
  t.match(refused, { allowed: false, remaining: 0, resetMs: 1000, retryAfterMs: 250 });
});

t.test('IPv6 clients count by /64; IPv4 clients by address', async (t) => {
  t.equal(addressBucket('203.0.113.7'), '203.0.113.7');
  t.equal(addressBucket('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  t.equal(addressBucket('2001:db8:1:2:bbbb:cccc:dddd:eeee'), '2001:db8:1:2::/64');
  t.equal(addressBucket('2001:DB8:0001::5'), '2001:db8:1:0::/64');
  t.not(addressBucket('2001:db8:1:3::1'), addressBucket('2001:db8:1:2::1'));
});
