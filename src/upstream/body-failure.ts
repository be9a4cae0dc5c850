// Why a request body could not be read to its end: the client's doing (too large, too slow, cut off), never the
// upstream's. It carries the reply the client gets, and never counts against an upstream's breaker.
import { GatewayError } from '../errors.js';

export type BodyFailureReason = 'too-large' | 'idle' | 'deadline' | 'aborted' | 'uploads';

const ANSWERS = {
  'too-large': 'PG_BODY_TOO_LARGE',
  idle: 'PG_BODY_TIMEOUT',
  deadline: 'PG_REQUEST_TIMEOUT',
  aborted: 'PG_BAD_REQUEST',
  uploads: 'PG_TOO_MANY_UPLOADS',
} as const;

export class BodyFailure extends Error {
  /** The client's reply. It closes the connection: the rest of the body is not read, so the connection is unusable. */
  readonly answer: GatewayError;

  constructor(readonly reason: BodyFailureReason, detail?: string) {
    super(`request body ${reason}`);
    this.name = 'BodyFailure';
    const headers: Record<string, string> = { connection: 'close' };
    if (reason === 'uploads') headers['retry-after'] = '1';
    this.answer = new GatewayError(ANSWERS[reason], { detail, headers });
  }
}
