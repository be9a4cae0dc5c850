// A clock a test moves by hand (issue 11 §6): time that a test would otherwise sleep through is one `advance` call.
export interface TestClock {
  /** Pass this wherever the code takes `now: () => number`. */
  readonly now: () => number;
  /** Moves the clock forward by `ms`. */
  advance(ms: number): void;
}

/**
 * Frozen at `start` until advanced; `ticking` also follows real time, for a whole gateway whose tokens, budgets and
 * caches expect time to pass on its own (the clock is then real time plus every advance so far).
 * @example const clock = testClock(); breaker = new Breaker('b', options, events, clock.now); clock.advance(10_000);
 */
export function testClock(options: { readonly start?: number; readonly ticking?: boolean } = {}): TestClock {
  const start = options.start ?? Date.now();
  let offset = 0;
  const now = options.ticking ? () => Date.now() + offset : () => start + offset;
  return {
    now,
    advance(ms: number): void {
      offset += ms;
    },
  };
}
