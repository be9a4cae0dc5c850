// Circuit breakers on opossum's state machine: its closed/open/half-open states, its reset timer and its rolling
// window of counts. What it does not get is opossum's `fire()`, which wraps every call in a promise, timers and event
// plumbing: measured here at ~15 % of the gateway's throughput on a proxied request (README, Decisions). Instead the
// gateway reports each call's outcome when it knows it, through the same events opossum's own `fire()` emits, and
// opens the breaker by opossum's own rule. Failures are connection errors, timeouts and the configured statuses; a
// 4xx never counts.
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

export class Breaker {
  readonly name: string;
  readonly #breaker: CircuitBreaker;
  readonly #options: BreakerOptions;
  #probeOut = false;
  #openedAt = 0;
  /** Shut down: calls still out (under a config no longer in force) settle into nothing, and move no metric. */
  #retired = false;

  constructor(name: string, options: BreakerOptions, events: BreakerEvents) {
    this.name = name;
    this.#options = options;
    // The action is never called: outcomes are reported, not produced, by opossum.
    this.#breaker = new CircuitBreaker(async () => undefined, {
      name,
      timeout: false,
      errorThresholdPercentage: options.failureRate,
      volumeThreshold: options.minRequests,
      rollingCountTimeout: options.window,
      rollingCountBuckets: 10,
      resetTimeout: options.openFor,
      // Both default to on: every success would push its latency into an array the window keeps, and every bucket
      // interval a snapshot would concatenate and sort them all (measured: ~1 % of the gateway's CPU under load).
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
    });
    this.#breaker.on('open', () => {
      this.#openedAt = Date.now();
      events.onTransition(name, 'open');
    });
    this.#breaker.on('halfOpen', () => events.onTransition(name, 'half-open'));
    this.#breaker.on('close', () => events.onTransition(name, 'closed'));
  }

  static fromConfig(name: string, config: BreakerConfig, events: BreakerEvents): Breaker {
    return new Breaker(name, { ...config, slowCall: config.timeout }, events);
  }

  get state(): BreakerState {
    return this.#breaker.opened ? 'open' : this.#breaker.halfOpen ? 'half-open' : 'closed';
  }

  /** Seconds until the next probe may go through: the client's Retry-After. */
  retryAfter(): number {
    return Math.max(1, Math.ceil((this.#openedAt + this.#options.openFor - Date.now()) / 1000));
  }

  /**
   * May a call go now? Undefined when the breaker refuses it (open, or half-open with its one probe out); otherwise
   * the call, whose outcome must be settled.
   */
  admit(): BreakerCall | undefined {
    const breaker = this.#breaker;
    let probe = false;
    if (!breaker.closed) {
      if (breaker.opened || this.#probeOut) {
        breaker.emit('reject', FAILED);
        return undefined;
      }
      probe = this.#probeOut = true;
    }
    breaker.emit('fire');
    const started = this.#options.slowCall !== undefined ? Date.now() : 0;
    let settled = false;
    return {
      settle: (outcome) => {
        if (settled || this.#retired) return;
        settled = true;
        if (probe) this.#probeOut = false;
        const slow = this.#options.slowCall !== undefined && Date.now() - started > this.#options.slowCall;
        if (slow || this.#failed(outcome)) this.#failure(probe);
        else breaker.emit('success', undefined, 0); // opossum closes a half-open breaker on success
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
