// Refusal log lines, bounded (issue 10 §1): a refused flood must not become a log flood. Each line's client-controlled
// fields are cut to a length, and at most N lines a second are written per instance, as audit denials are
// (rbac/build-rbac.ts); what is left out is counted and summed up in one line a second, so the volume stays known
// (metrics count every refusal anyway). O(1) per refusal: two counters and a map of codes.

/** The logger the summary goes to (pino/Fastify's satisfies it). */
export interface SummaryLogger {
  warn(fields: object, message: string): void;
}

/**
 * `value` cut to `max` characters, with a marker saying how much was cut.
 * @example boundedField('/a'.repeat(300), 8) === '/a/a/a/a…[+592 chars]'
 */
export function boundedField(value: string | undefined, max: number): string | undefined {
  if (value === undefined || value.length <= max) return value;
  return `${value.slice(0, max)}…[+${value.length - max} chars]`;
}

export class RefusalLog {
  readonly #log: SummaryLogger;
  readonly #now: () => number;
  #windowStart = -Infinity;
  /** Lines written in this window: refusals (4xx) and the gateway's own failures (5xx) have a budget each. */
  #refusals = 0;
  #failures = 0;
  #suppressed = 0;
  readonly #byCode = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;

  readonly #onSuppressed: ((code: string) => void) | undefined;

  /** `onSuppressed` counts each line left out (a metric), as it happens rather than once a second. */
  constructor(log: SummaryLogger, now: () => number, onSuppressed?: (code: string) => void) {
    this.#log = log;
    this.#now = now;
    this.#onSuppressed = onSuppressed;
  }

  /**
   * Whether this refusal's line may be written now. A 5xx line has its own budget, so a flood of 4xx never hides the
   * gateway's own failures (and a flood of 503s is sampled like any other: it is client-driven too).
   */
  admit(code: string, failure: boolean, perSecond: number): boolean {
    const at = this.#now();
    if (at - this.#windowStart >= 1000) {
      this.flush();
      this.#windowStart = at;
      this.#refusals = 0;
      this.#failures = 0;
    }
    if (failure ? this.#failures < perSecond : this.#refusals < perSecond) {
      if (failure) this.#failures++;
      else this.#refusals++;
      return true;
    }
    this.#suppressed++;
    this.#byCode.set(code, (this.#byCode.get(code) ?? 0) + 1);
    this.#onSuppressed?.(code);
    // The summary also comes when no refusal follows to roll the window over.
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.flush(), 1000);
      this.#timer.unref();
    }
    return false;
  }

  /** Writes the summary of what was left out, if anything was. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#suppressed === 0) return;
    this.#log.warn({ suppressed: this.#suppressed, codes: Object.fromEntries(this.#byCode) }, `${this.#suppressed} similar refusals suppressed`);
    this.#suppressed = 0;
    this.#byCode.clear();
  }
}
