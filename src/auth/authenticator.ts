// The authentication seam: who is calling. The JWT authenticator arrives with its own issue; until then every
// route that is not `auth: none` is refused, so a missing piece can never mean an open door.
import { GatewayError } from '../errors.js';
import type { IncomingHttpHeaders } from 'node:http';
import type { VerifiedToken } from './claims.js';

export interface Authenticator {
  /**
   * Returns the verified token (its `identity` is the caller) from the request's headers, or throws a GatewayError
   * (401). May return a promise when it needs I/O; a token already verified is returned as is, without a promise.
   */
  authenticate(headers: IncomingHttpHeaders): VerifiedToken | Promise<VerifiedToken>;
}

/** The authenticator of a gateway with no `auth` section: nobody is authenticated. */
export const refuseAll: Authenticator = {
  authenticate() {
    throw new GatewayError('PG_AUTH_REQUIRED', {
      detail: 'no token authentication is configured on this gateway',
      headers: { 'www-authenticate': 'Bearer realm="permgate"' },
    });
  },
};
