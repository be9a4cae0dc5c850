// The `server.admin` section: where the admin listener listens, who may call the admin API, and how failed
// authentications are throttled. The admin API is off unless an admin token is set or JWT admins are turned on.
import type { ListenConfig, ListenerTlsConfig } from './listen-types.js';
import type { Rate } from './units.js';

/** Shortest admin token accepted, in bytes (UTF-8): 256 bits, out of reach of guessing at any rate. */
export const ADMIN_TOKEN_MIN_BYTES = 32;

export interface AdminConfig extends ListenConfig {
  /** The admin token, at least ADMIN_TOKEN_MIN_BYTES bytes; empty: none. */
  readonly token: string;
  /** People whose JWT subject holds `permgate:admin:…` codes may call the API. Off unless written as `true`. */
  readonly jwt: boolean;
  /** Failed authentications one client address may make per window before it is refused (429) until the window ends. */
  readonly failureLimit: Rate;
  /** The admin listener (API and console) over TLS; the console's session cookie is then Secure. */
  readonly tls: ListenerTlsConfig | undefined;
  /** The browser console at /console/ (issue 15); it is off whenever the admin API is, whatever this says. */
  readonly console: boolean;
}

/** Whether the console answers with this config: asked for, and the admin API on. */
export function consoleEnabled(admin: Pick<AdminConfig, 'token' | 'jwt' | 'console'>): boolean {
  return admin.console && adminEnabled(admin);
}

/** Whether anybody at all may call the admin API with this config (`auth` present is checked by the config). */
export function adminEnabled(admin: Pick<AdminConfig, 'token' | 'jwt'>): boolean {
  return admin.token !== '' || admin.jwt;
}
