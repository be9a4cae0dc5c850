// Checks `server.admin` beyond its schema (schema/server-schema.ts). A short admin token is refused (it could be
// guessed), and JWT admins are an explicit opt-in, so an empty token really means the admin API is off.
import { ADMIN_TOKEN_MIN_BYTES, type AdminConfig } from './admin-types.js';
import { rateOf, type Checker } from './checker.js';
import { checkTls } from './validate-listeners.js';
import type { ServerDocument } from './schema/server-schema.js';

export function checkAdmin(c: Checker, admin: NonNullable<ServerDocument['admin']>, configFile: string): AdminConfig {
  const token = typeof admin.token === 'string' ? admin.token : '';
  if (token !== '' && Buffer.byteLength(token, 'utf8') < ADMIN_TOKEN_MIN_BYTES) {
    // The message gives the length, never the token.
    c.fail(
      ['server', 'admin', 'token'],
      `an admin token is at least ${ADMIN_TOKEN_MIN_BYTES} bytes, this one has ${Buffer.byteLength(token, 'utf8')}`,
      'generate one with: openssl rand -base64 32 (or leave it empty: no admin token)',
    );
  }
  const tls = admin.tls === undefined ? undefined : checkTls(c, admin.tls, ['server', 'admin', 'tls'], configFile);
  // A client certificate names a data-plane caller; an admin is named by the admin token or their JWT.
  if (admin.tls?.clientSubject === true) c.fail(['server', 'admin', 'tls', 'clientSubject'], 'is for data-plane listeners', 'admins log in with the admin token or their JWT; clientCa alone still asks for a client certificate');
  return { host: admin.host!, port: admin.port!, token, jwt: admin.jwt!, failureLimit: rateOf(admin.failureLimit)!, tls, console: admin.console! };
}
