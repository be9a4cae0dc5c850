// A Redis command that failed (timed out, connection lost) becomes the coded 503 the admin API answers with, instead
// of an unexpected error and a 500: the caller may retry, and the log says which store did not answer.
import { GatewayError } from '../../errors.js';

/** For `.catch()` on an admin-plane store call: a GatewayError passes through; anything else is the store's failure. */
export function storeUnavailable(err: unknown): never {
  if (err instanceof GatewayError) throw err;
  throw new GatewayError('PG_STORE_UNAVAILABLE', { detail: 'the shared store did not answer in time; retry', headers: { 'retry-after': '1' }, cause: err });
}
