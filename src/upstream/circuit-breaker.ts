// Circuit breakers on opossum's state machine: its closed/open/half-open states, its reset timer and its rolling
// window of counts. What it does not get is opossum's `fire()`, which wraps every call in a promise, timers and event
// plumbing: measured here at ~15 % of the gateway's throughput on a proxied request (README, Decisions). Instead the
// gateway reports each call's outcome when it knows it, through the same events opossum's own `fire()` emits, and
// opens the breaker by opossum's own rule. Failures are connection errors, timeouts and the configured statuses; a
// 4xx never counts.
//
// Time is the injected clock's (issue 11 §6): Retry-After, slow calls and the end of `openFor` all read `now()`, so a
// test advances the clock instead of sleeping. opossum's reset timer still half-opens a breaker nobody asks (so
// /readyz and the state metric move on their own); whichever comes first, the timer or an admission that finds
// `openFor` passed by the clock, makes the one transition.
import CircuitBreaker from 'opossum';
import type { BreakerConfig } from '../config/resilience-types.js';
import type { GatewayError } from '../errors.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerEvents {
  onTransition(breaker: string, to: BreakerState): void;
}

/** One admitted call; `settle` reports its outcome once (later calls are ignored). */
export interface BreakerCall {
  settle(outcome: number | GatewayError | Error | undefined): void;
}

/** Passed to opossum's `failure` event, as its own fire() would pass the action's error. */
const FAILED = Object.freeze(new Error('call failed'));

export interface BreakerOptions {
  readonly failureRate: number;
  readonly minRequests: number;
  readonly window: number;
  readonly openFor: number;
  /** A call slower than this counts as a failure when it ends. */
  readonly slowCall?: number | undefined;
  /** Statuses that count as failures (an Error always does). */
  readonly failOn?: ReadonlySet<number>;
}

/** opossum's options plus its documented state priming (its README, "Breaker State Initialization"), untyped there. */
type PrimedOptions = CircuitBreaker.Options & { readonly state?: { readonly closed: false; readonly halfOpen: true } };

export class Breaker {
  readonly name: string;
  #breaker: CircuitBreaker;
  readonly #options: BreakerOptions;
  readonly #events: BreakerEvents;
  readonly #now: () => number;
  #probeOut = false;
  #openedAt = 0;
  /** Shut down: calls still out (under a config no longer in force) settle into nothing, and move no metric. */
  #retired = false;

  /** `now` is the gateway's clock (Date.now in production); a test passes one it advances. */
  constructor(name: string, options: BreakerOptions, events: BreakerEvents, now: () => number) {
    this.name = name;
    this.#options = options;
    this.#events = events;
    this.#now = now;
    this.#breaker = this.#circuit(undefined);
  }

  static fromConfig(name: string, config: BreakerConfig, events: BreakerEvents, now: () => number): Breaker {
    return new Breaker(name, { ...config, slowCall: config.timeout }, events, now);
  }

  /**
   * opossum's breaker for this one. `halfOpenFrom` primes a half-open breaker that keeps the given one's rolling
   * window (its Status): how an elapsed `openFor` moves opossum to half-open when the clock, not its timer, says so.
   */
  #circuit(halfOpenFrom: CircuitBreaker | undefined): CircuitBreaker {
    const options: PrimedOptions = {
      name: this.name,
      timeout: false,
      errorThresholdPercentage: this.#options.failureRate,
      volumeThreshold: this.#options.minRequests,
      rollingCountTimeout: this.#options.window,
      rollingCountBuckets: 10,
      resetTimeout: this.#options.openFor,
      // Both default to on: every success would push its latency into an array the window keeps, and every bucket
      // interval a snapshot would concatenate and sort them all (measured: ~1 % of the gateway's CPU under load).
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
      ...(halfOpenFrom === undefined ? {} : { status: halfOpenFrom.status, state: { closed: false, halfOpen: true } }),
    };
    // The action is never called: outcomes are reported, not produced, by opossum.
    const breaker = new CircuitBreaker(async () => undefined, options);
    const events = this.#events;
    breaker.on('open', () => {
      this.#openedAt = this.#now();
      events.onTransition(this.name, 'open');
    });
    breaker.on('halfOpen', () => events.onTransition(this.name, 'half-open'));
    breaker.on('close', () => events.onTransition(this.name, 'closed'));
    return breaker;
  }

  /**
   * Open, and `openFor` has passed by the clock while opossum's timer has not fired yet: half-open now. The old
   * breaker is silenced first, so closing it (which clears its timer) moves no metric and leaves the window alone.
   */
  #halfOpenByClock(): void {
    const old = this.#breaker;
    old.removeAllListeners();
    old.close();
    this.#breaker = this.#circuit(old);
    this.#events.onTransition(this.name, 'half-open');
  }

  get state(): BreakerState {
    const breaker = this.#breaker;
    if (breaker.opened && this.#now() - this.#openedAt >= this.#options.openFor) this.#halfOpenByClock();
    return this.#breaker.opened ? 'open' : this.#breaker.halfOpen ? 'half-open' : 'closed';
  }

  /** Seconds until the next probe may go through: the client's Retry-After. */
  retryAfter(): number {
    return Math.max(1, Math.ceil((this.#openedAt + this.#options.openFor - this.#now()) / 1000));
  }

  /**
   * May a call go now? Undefined when the breaker refuses it (open, or half-open with its one probe out); otherwise
   * the call, whose outcome must be settled.
   */
  admit(): BreakerCall | undefined {
    let breaker = this.#breaker;
    let probe = false;
    if (!breaker.closed) {
      // Only a breaker that is not closed reads the clock: the closed path costs what it did.
      if (breaker.opened && this.#now() - this.#openedAt >= this.#options.openFor) {
        this.#halfOpenByClock();
        breaker = this.#breaker;
      }
      if (breaker.opened || this.#probeOut) {
        breaker.emit('reject', FAILED);
        return undefined;
      }
      probe = this.#probeOut = true;
    }
    breaker.emit('fire');
    const started = this.#options.slowCall !== undefined ? this.#now() : 0;
    let settled = false;
    return {
      settle: (outcome) => {
        if (settled || this.#retired) return;
        settled = true;
        if (probe) this.#probeOut = false;
        const slow = this.#options.slowCall !== undefined && this.#now() - started > this.#options.slowCall;
        if (slow || this.#failed(outcome)) this.#failure(probe);
        else this.#breaker.emit('success', undefined, 0); // opossum closes a half-open breaker on success
      },
    };
  }

  #failed(outcome: number | GatewayError | Error | undefined): boolean {
    if (outcome === undefined) return false;
    if (typeof outcome === 'number') return this.#options.failOn?.has(outcome) ?? outcome >= 500;
    return (outcome as GatewayError).code !== 'PG_BODY_TOO_LARGE'; // the client's body, not the upstream's fault
  }

  /** opossum's own rule: a failed probe reopens; otherwise open once enough calls fail in the window. */
  #failure(probe: boolean): void {
    const breaker = this.#breaker;
    breaker.emit('failure', FAILED, 0);
    if (probe) return breaker.open();
    const stats = breaker.stats;
    if (stats.fires >= this.#options.minRequests && (stats.failures / stats.fires) * 100 >= this.#options.failureRate) breaker.open();
  }

  shutdown(): void {
    this.#retired = true;
    this.#breaker.shutdown();
  }
}
