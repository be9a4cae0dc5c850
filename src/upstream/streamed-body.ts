// A request body streamed to the upstream as it arrives: counted and cut at the route's limit, cut when the client
// pauses longer than `bodyIdle` or misses the request deadline, and failed with a BodyFailure when the client goes.
//
// The stream owns its errors (issue 10): it may wait in an upstream pool's queue, with no reader and no listener of
// undici's yet, when the client aborts or a timer fires; an 'error' with no listener would end the process.
import type { IncomingMessage } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import { BodyFailure } from './body-failure.js';
import { BodyTimers, type BodyClock } from './body-timers.js';

export interface StreamedBodyOptions {
  /** The route's body limit, in bytes. */
  readonly limit: number;
  readonly clock: BodyClock;
  /** Chunks already read from `source` (a buffered start that outgrew the buffer), sent first. */
  readonly head?: readonly Buffer[];
  /** Called once when the stream is done, however it ends (gives back an upload slot). */
  readonly onDone?: () => void;
}

export class StreamedBody extends Transform {
  #seen = 0;
  readonly #limit: number;
  readonly #timers: BodyTimers;
  readonly #source: IncomingMessage;
  /** Why the body failed, once it has. */
  failure: BodyFailure | undefined;

  constructor(source: IncomingMessage, options: StreamedBodyOptions) {
    super();
    this.#limit = options.limit;
    this.#source = source;
    this.#timers = new BodyTimers(options.clock, (failure) => {
      // A body waiting on the upstream (a full pool, a slow reader) is not an idle client: only count the client.
      if (failure.reason === 'idle' && this.#waitingOnUs()) return this.#timers.touch();
      this.fail(failure);
    });
    this.on('error', ignore);
    this.once('close', () => {
      this.#timers.stop();
      options.onDone?.();
    });
    source.on('error', () => this.fail(new BodyFailure('aborted', 'the client aborted the request body')));
    source.once('close', () => {
      if (!source.complete) this.fail(new BodyFailure('aborted', 'the client aborted the request body'));
    });
    for (const chunk of options.head ?? []) this.#count(chunk) && this.push(chunk);
    source.pipe(this);
  }

  /** Fails the body: undici aborts its upstream request with `failure`, and the client gets `failure.answer`. */
  fail(failure: BodyFailure): void {
    if (this.destroyed) return;
    this.failure = failure;
    this.destroy(failure);
  }

  /**
   * The reply is out and this body was not read to its end: cut the client's connection rather than read (or leave
   * unread) the rest, and give the upload slot back.
   */
  abandon(): void {
    if (this.readableEnded || this.destroyed) return;
    this.#source.destroy();
    this.fail(new BodyFailure('aborted', 'the reply was sent before the body was read'));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (!this.#count(chunk)) return callback();
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.#timers.stop();
    callback();
  }

  #waitingOnUs(): boolean {
    return this.readableLength >= this.readableHighWaterMark || this.writableLength >= this.writableHighWaterMark;
  }

  /** Counts a chunk; false (and the body failed) when it goes over the limit. */
  #count(chunk: Buffer): boolean {
    this.#seen += chunk.length;
    if (this.#seen > this.#limit) {
      this.fail(new BodyFailure('too-large', `at most ${this.#limit} bytes`));
      return false;
    }
    this.#timers.touch();
    return true;
  }
}

function ignore(): void {
  // The failure is kept in `failure` and reaches the exchange through undici or the exchange's own listener.
}
