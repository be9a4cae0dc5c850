// The two clocks of a request body: the pause between chunks (`server.timeouts.bodyIdle`) and the deadline of the
// whole request (`server.timeouts.request`, counted from the end of the headers). One timer each, created only for
// requests that carry a body, and refreshed (not re-created) per chunk.
import { BodyFailure } from './body-failure.js';

export interface BodyClock {
  readonly idle: number;
  /** Milliseconds left until the whole request must have arrived. */
  readonly remaining: number;
}

export class BodyTimers {
  readonly #idle: NodeJS.Timeout;
  readonly #deadline: NodeJS.Timeout;

  constructor(clock: BodyClock, onTimeout: (failure: BodyFailure) => void) {
    this.#idle = setTimeout(() => onTimeout(new BodyFailure('idle', `no body data for ${clock.idle} ms`)), clock.idle);
    this.#deadline = setTimeout(() => onTimeout(new BodyFailure('deadline')), Math.max(0, clock.remaining));
    this.#idle.unref();
    this.#deadline.unref();
  }

  /** A chunk arrived. */
  touch(): void {
    this.#idle.refresh();
  }

  stop(): void {
    clearTimeout(this.#idle);
    clearTimeout(this.#deadline);
  }
}
