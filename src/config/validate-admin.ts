// Checks `server.admin`. A short admin token is refused (it could be guessed), and JWT admins are an explicit opt-in,
// so an empty token really means the admin API is off.
import { ADMIN_TOKEN_MIN_BYTES, type AdminConfig } from './admin-types.js';
import { parseRate, type Rate } from './units.js';
import type { Checker } from './checker.js';

const DEFAULT_FAILURE_LIMIT: Rate = { limit: 10, windowMs: 60_000 };

export function checkAdmin(c: Checker, value: unknown): AdminConfig | undefined {
  const admin = c.object(['server', 'admin'], value ?? {}, ['host', 'port', 'token', 'jwt', 'failureLimit']);
  const token = c.string(['server', 'admin', 'token'], admin?.token, { fallback: '', allowEmpty: true });
  if (token !== undefined && token !== '' && Buffer.byteLength(token, 'utf8') < ADMIN_TOKEN_MIN_BYTES) {
    // The message gives the length, never the token.
    c.fail(
      ['server', 'admin', 'token'],
      `an admin token is at least ${ADMIN_TOKEN_MIN_BYTES} bytes, this one has ${Buffer.byteLength(token, 'utf8')}`,
      'generate one with: openssl rand -base64 32 (or leave it empty: no admin token)',
    );
  }
  let failureLimit: Rate | undefined = DEFAULT_FAILURE_LIMIT;
  if (admin?.failureLimit !== undefined && admin.failureLimit !== null && admin.failureLimit !== '') {
    failureLimit = typeof admin.failureLimit === 'string' ? parseRate(admin.failureLimit) : undefined;
    if (failureLimit === undefined) {
      c.fail(['server', 'admin', 'failureLimit'], `expected a rate, got ${JSON.stringify(admin.failureLimit)}`, 'write it as 10/min or 5/30s');
    }
  }
  const result = {
    host: c.string(['server', 'admin', 'host'], admin?.host, { fallback: '127.0.0.1' }),
    port: c.integer(['server', 'admin', 'port'], admin?.port, 0, 65535, 9901),
    token,
    jwt: c.boolean(['server', 'admin', 'jwt'], admin?.jwt, false),
    failureLimit,
  };
  return result as AdminConfig; // fields left undefined above have an issue recorded, and the config is refused
}
