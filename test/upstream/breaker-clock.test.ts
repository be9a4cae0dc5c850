// The breaker keeps time by the clock it is given (issue 11 §6): it opens, reports Retry-After and half-opens after
// `openFor` as the injected clock says, with no real waiting (openFor is an hour: opossum's own timer never fires).
import t, { type Test } from 'tap';
import { Breaker, type BreakerState } from '../../src/upstream/circuit-breaker.js';
import { testClock, type TestClock } from '../helpers/test-clock.js';

const HOUR = 3_600_000;

function breaker(t: Test, options: { slowCall?: number } = {}): { breaker: Breaker; clock: TestClock; transitions: BreakerState[] } {
  const clock = testClock();
  const transitions: BreakerState[] = [];
  const made = new Breaker('upstream:svc', { failureRate: 50, minRequests: 4, window: 10_000, openFor: HOUR, ...options }, { onTransition: (_name, to) => transitions.push(to) }, clock.now);
  t.teardown(() => made.shutdown());
  return { breaker: made, clock, transitions };
}

function trip(b: Breaker): void {
  for (let i = 0; i < 4; i++) b.admit()!.settle(500);
}

t.test('four failures open the breaker; Retry-After counts down by the injected clock', async (t) => {
  const { breaker: b, clock, transitions } = breaker(t);
  trip(b);
  t.equal(b.state, 'open');
  t.same(transitions, ['open']);
  t.equal(b.admit(), undefined, 'refused while open');
  t.equal(b.retryAfter(), 3_600, 'the whole hour');
  clock.advance(HOUR - 90_500);
  t.equal(b.retryAfter(), 91, '90.5 s left, rounded up');
  clock.advance(90_000);
  t.equal(b.retryAfter(), 1, 'never less than a second');
  t.equal(b.state, 'open', 'still open 0.5 s before openFor ends');
});

t.test('once the clock passes openFor, one probe goes through (half-open); its success closes the breaker', async (t) => {
  const started = performance.now();
  const { breaker: b, clock, transitions } = breaker(t);
  trip(b);
  clock.advance(HOUR);
  const probe = b.admit();
  t.ok(probe, 'the probe is admitted');
  t.equal(b.state, 'half-open');
  t.equal(b.admit(), undefined, 'one probe at a time');
  probe!.settle(200);
  t.equal(b.state, 'closed');
  t.same(transitions, ['open', 'half-open', 'closed'], 'each transition reported once');
  t.ok(b.admit(), 'closed: calls go through');
  t.ok(performance.now() - started < 1_000, 'no real waiting');
});

t.test('a failed probe opens the breaker again for another openFor, counted from the clock', async (t) => {
  const { breaker: b, clock, transitions } = breaker(t);
  trip(b);
  clock.advance(HOUR + 5_000);
  b.admit()!.settle(new Error('connection refused'));
  t.equal(b.state, 'open');
  t.equal(b.retryAfter(), 3_600, 'a fresh hour from the failed probe');
  clock.advance(HOUR - 1);
  t.equal(b.admit(), undefined, '1 ms short of openFor: still refused');
  clock.advance(1);
  t.ok(b.admit(), 'openFor passed: the next probe');
  t.same(transitions, ['open', 'half-open', 'open', 'half-open']);
});

t.test('reading the state is enough to half-open a breaker whose openFor has passed (/readyz, metrics)', async (t) => {
  const { breaker: b, clock, transitions } = breaker(t);
  trip(b);
  clock.advance(HOUR);
  t.equal(b.state, 'half-open');
  t.same(transitions, ['open', 'half-open']);
});

t.test('the rolling window carries into half-open: a success closes it, and the failures before still count', async (t) => {
  const { breaker: b, clock } = breaker(t);
  trip(b);
  clock.advance(HOUR);
  b.admit()!.settle(200);
  t.equal(b.state, 'closed');
  b.admit()!.settle(500);
  t.equal(b.state, 'open', 'one more failure reopens it: the window still holds the four before (5 of 6 failed)');
});

t.test('a call slower than slowCall by the injected clock counts as a failure', async (t) => {
  const { breaker: b, clock } = breaker(t, { slowCall: 1_000 });
  for (let i = 0; i < 4; i++) {
    const call = b.admit()!;
    clock.advance(1_001);
    call.settle(200);
  }
  t.equal(b.state, 'open', 'four slow 200s open it');
  const { breaker: fast, clock: fastClock } = breaker(t, { slowCall: 1_000 });
  for (let i = 0; i < 4; i++) {
    const call = fast.admit()!;
    fastClock.advance(1_000);
    call.settle(200);
  }
  t.equal(fast.state, 'closed', 'exactly slowCall is not slow');
});
