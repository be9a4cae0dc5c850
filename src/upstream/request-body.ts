// How a request body is read before forwarding. A body up to `server.limits.bodyBuffer` is read whole into memory
// BEFORE an upstream connection is taken (nginx's proxy_request_buffering, on by default there too): a client that
// sends slowly holds a socket of the gateway's, never one of the upstream's pool. A larger body, or any body on a
// route with `requestBuffering: false`, streams through a StreamedBody and takes one of the client address's upload
// slots (429 beyond them). Both are cut at the route's limit (413), after `bodyIdle` without data (408) and at the
// request deadline (408). Requests without a body never reach this file (server/data-plane.ts: Fastify parses no
// body for them).
import type { IncomingMessage } from 'node:http';
import { BodyFailure } from './body-failure.js';
import { BodyTimers, type BodyClock } from './body-timers.js';
import { StreamedBody } from './streamed-body.js';
import type { UploadSlots } from './upload-slots.js';

export interface BodyPlan {
  /** The route's body limit, in bytes. */
  readonly limit: number;
  /** Bodies up to this size are buffered; 0: stream every body. */
  readonly buffer: number;
  readonly clock: BodyClock;
  /** The client address, for its upload slots. */
  readonly client: string;
  readonly slots: UploadSlots;
  readonly uploadsPerClient: number;
}

export type BodyDone = (err: BodyFailure | null, body?: Buffer | StreamedBody) => void;

/** Reads `source` as `plan` says and calls `done` once: a Buffer, a StreamedBody, or the BodyFailure to answer. */
export function readRequestBody(source: IncomingMessage, plan: BodyPlan, done: BodyDone): void {
  const header = source.headers['content-length'];
  const declared = header === undefined ? undefined : Number(header);
  // A declared length over the buffer streams from the start; an unknown one (chunked) is buffered until it outgrows it.
  if (plan.buffer > 0 && (declared === undefined || declared <= plan.buffer)) return bufferBody(source, plan, done);
  const streamed = stream(source, plan, []);
  if (streamed instanceof BodyFailure) return done(streamed);
  done(null, streamed);
}

function stream(source: IncomingMessage, plan: BodyPlan, head: readonly Buffer[]): StreamedBody | BodyFailure {
  const release = plan.slots.take(plan.client, plan.uploadsPerClient);
  if (release === undefined) return new BodyFailure('uploads', `at most ${plan.uploadsPerClient} streamed uploads at once per client`);
  return new StreamedBody(source, { limit: plan.limit, clock: plan.clock, head, onDone: release });
}

function bufferBody(source: IncomingMessage, plan: BodyPlan, done: BodyDone): void {
  const header = source.headers['content-length'];
  const declared = header === undefined ? undefined : Number(header);
  const chunks: Buffer[] = [];
  let size = 0;
  let settled = false;
  const timers = new BodyTimers(plan.clock, (failure) => finish(failure));
  const finish = (failure: BodyFailure | null, body?: Buffer | StreamedBody): void => {
    if (settled) return;
    settled = true;
    timers.stop();
    source.off('data', onData).off('end', onEnd).off('error', onAbort).off('close', onClose);
    // The rest of a failed body is not read: the reply closes the connection (BodyFailure.answer).
    if (failure !== null) source.on('error', ignore).pause();
    done(failure, body);
  };
  const onData = (chunk: Buffer): void => {
    size += chunk.length;
    if (size > plan.limit) return finish(new BodyFailure('too-large', `at most ${plan.limit} bytes`));
    chunks.push(chunk);
    if (size <= plan.buffer) return timers.touch();
    // Outgrew the buffer (no Content-Length was declared): stream the rest, what was read going first.
    source.pause();
    const streamed = stream(source, plan, chunks);
    if (streamed instanceof BodyFailure) return finish(streamed);
    finish(null, streamed);
  };
  const onEnd = (): void => {
    // An HTTP/2 stream the client (or its HTTP/2 layer, on a content-length that disagrees with the DATA) reset ends
    // like a complete one: a cut body is never forwarded as if it were whole.
    if (wasReset(source)) return onAbort();
    if (declared !== undefined && size !== declared) return finish(new BodyFailure('aborted', `the body is ${size} bytes, not the ${declared} its content-length says`));
    finish(null, Buffer.concat(chunks, size));
  };
  const onAbort = (): void => finish(new BodyFailure('aborted', 'the client aborted the request body'));
  const onClose = (): void => {
    if (!source.complete) onAbort();
  };
  source.on('data', onData).on('end', onEnd).on('error', onAbort).on('close', onClose);
}

/** An HTTP/2 request whose stream was reset (Node's compat layer still ends it); never true for HTTP/1.1. */
function wasReset(source: IncomingMessage): boolean {
  const h2 = source as IncomingMessage & { stream?: { rstCode?: number } };
  return source.aborted || (h2.stream?.rstCode !== undefined && h2.stream.rstCode !== 0);
}

function ignore(): void {
  // The client is gone or its body was refused; its reply is already decided.
}
