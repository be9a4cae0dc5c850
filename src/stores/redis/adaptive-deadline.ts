// A late answer is not a missing one (issue 12, "bursts are not outages"). On two cores under a burst, Redis and the
// gateway's own event loop both fall behind, and a fixed 50 ms command timeout takes that for an outage: budgets fall
// back to the local share (108 of 100 admitted), a cold subject's permissions answer 503. So the deadline adapts: when
// it passes, the waiter first reads whatever has arrived (a blocked event loop runs timers before I/O), and while the
// connection keeps answering calls sent before this one, it waits on, up to maxWaitMs. Only a connection that answered
// nothing since the call was sent (Redis down, paused, partitioned) fails after one deadline.
//
// One AdaptiveDeadline per connection: "answered since" is about that connection's replies.

/** However busy Redis is, a request waits no longer than this for an answer before its fallback decides. */
export const MAX_WAIT_MS = 1_000;

export interface AdaptiveDeadlineOptions {
  /** A call with no answer, and no answer to anything else since it was sent, fails after this (`store.commandTimeout`). */
  readonly deadlineMs: number;
  readonly maxWaitMs?: number;
}

/** Thrown when the connection answered nothing within the deadline: the caller's cue for its fallback. */
export class StoreSilentError extends Error {
  readonly code: string = 'PG_STORE_SILENT';
}

export interface CallOptions {
  readonly silent?: (waitedMs: number) => Error;
  readonly onLate?: () => void;
}

export class AdaptiveDeadline {
  readonly deadlineMs: number;
  readonly maxWaitMs: number;
  /** When the last answer (a reply or an error from Redis) arrived, by performance.now(). */
  #lastAnswer = -Infinity;

  /** The connection waited on must not time commands out sooner than maxWaitMs. */
  constructor(options: AdaptiveDeadlineOptions) {
    this.deadlineMs = options.deadlineMs;
    this.maxWaitMs = Math.max(options.deadlineMs, options.maxWaitMs ?? MAX_WAIT_MS);
  }

  /**
   * `call`'s answer, under the adaptive deadline described at the top of this file. `silent` makes the error for a
   * call with no answer; `onLate` is told each time the deadline passed while the connection was still answering.
   */
  answered<T>(call: Promise<T>, { silent = silentStore, onLate }: CallOptions = {}): Promise<T> {
    const sentAt = performance.now();
    const noted = call.then(
      (reply) => ((this.#lastAnswer = performance.now()), reply),
      (err: unknown) => {
        this.#lastAnswer = performance.now();
        throw err;
      },
    );
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const check = (): void => {
        // After the I/O phase: an answer that sat unread while the loop was blocked is taken now.
        setImmediate(() => {
          if (settled) return;
          const waited = performance.now() - sentAt;
          if (this.#lastAnswer > sentAt && waited < this.maxWaitMs) {
            onLate?.();
            timer = setTimeout(check, Math.min(this.deadlineMs, this.maxWaitMs - waited));
            return;
          }
          settled = true;
          reject(silent(Math.round(waited)));
        });
      };
      timer = setTimeout(check, this.deadlineMs);
      noted.then(
        (reply) => {
          settled = true;
          clearTimeout(timer);
          resolve(reply);
        },
        (err: unknown) => {
          settled = true;
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  }
}

function silentStore(waitedMs: number): StoreSilentError {
  return new StoreSilentError(`the shared store answered nothing for ${waitedMs} ms`);
}
