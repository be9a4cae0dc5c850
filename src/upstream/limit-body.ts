// Counts a streamed request body and cuts it at the route's limit, for bodies sent without Content-Length.
import { Transform, type Readable, type TransformCallback } from 'node:stream';

export class BodyLimitExceeded extends Error {
  constructor(readonly limit: number) {
    super(`request body exceeds ${limit} bytes`);
    this.name = 'BodyLimitExceeded';
  }
}

/** Passes the body through unchanged until more than `limit` bytes have gone by, then fails the stream. */
export function limitBody(body: Readable, limit: number, onExceeded: () => void): Readable {
  let seen = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      seen += chunk.length;
      if (seen > limit) {
        onExceeded();
        callback(new BodyLimitExceeded(limit));
        return;
      }
      callback(null, chunk);
    },
  });
  body.on('error', (err) => counter.destroy(err));
  return body.pipe(counter);
}
