// Checks `server.admin` beyond its schema (schema/server-schema.ts). A short admin token is refused (it could be
// guessed), and JWT admins are an explicit opt-in, so an empty token really means the admin API is off.
import { ADMIN_TOKEN_MIN_BYTES, type AdminConfig } from './admin-types.js';
import { rateOf, type Checker } from './checker.js';
import type { ServerDocument } from './schema/server-schema.js';

export function checkAdmin(c: Checker, admin: NonNullable<ServerDocument['admin']>): AdminConfig {
  const token = typeof admin.token === 'string' ? admin.token : '';
  if (token !== '' && Buffer.byteLength(token, 'utf8') < ADMIN_TOKEN_MIN_BYTES) {
    // The message gives the length, never the token.
    c.fail(
      ['server', 'admin', 'token'],
      `an admin token is at least ${ADMIN_TOKEN_MIN_BYTES} bytes, this one has ${Buffer.byteLength(token, 'utf8')}`,
      'generate one with: openssl rand -base64 32 (or leave it empty: no admin token)',
    );
  }
  return { host: admin.host!, port: admin.port!, token, jwt: admin.jwt!, failureLimit: rateOf(admin.failureLimit)!, console: admin.console! };
}
