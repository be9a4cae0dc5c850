// What protects a request the console's session cookie authenticates: it must come from the admin listener's own
// origin (Origin, else Sec-Fetch-Site), and a change must carry the session's CSRF token. SameSite=Strict already
// keeps the cookie off cross-site requests; these checks hold even where a browser does not honour it.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../../errors.js';

export const SESSION_COOKIE = 'permgate_console';
export const CSRF_HEADER = 'x-csrf-token';

/** Methods that change nothing: the only ones a session may use without its CSRF token. */
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The console's pages: scripts, styles, images and calls from this origin only, no inline script or style, never
 * framed, no <base>, forms post here only.
 */
export const CONSOLE_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
/** Everything else the admin listener answers (JSON, metrics): nothing to run, never framed. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** Headers on every admin listener answer; the console's pages get CONSOLE_CSP instead of API_CSP. */
export function securityHeaders(reply: FastifyReply, page: boolean): void {
  void reply.headers({
    'content-security-policy': page ? CONSOLE_CSP : API_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
  });
}

/** The session cookie's value, or undefined. A cookie header another site could have set is read the same way. */
export function sessionCookie(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The origin this request was sent to, as a browser on the same page would write it in Origin. */
function ownOrigin(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

/**
 * Throws PG_CONSOLE_CROSS_ORIGIN unless the request comes from the admin listener's own origin: any request marked
 * cross-site or same-site by Sec-Fetch-Site, and a change (or a login) whose Origin is another or, with no Origin,
 * whose Sec-Fetch-Site is not same-origin. Browsers send Origin with every POST, PUT and DELETE.
 */
export function refuseOtherOrigins(request: FastifyRequest): void {
  const site = request.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') throw new GatewayError('PG_CONSOLE_CROSS_ORIGIN', { detail: `Sec-Fetch-Site: ${site}` });
  if (SAFE.has(request.method)) return;
  const origin = request.headers.origin;
  if (origin !== undefined) {
    if (origin !== ownOrigin(request)) throw new GatewayError('PG_CONSOLE_CROSS_ORIGIN', { detail: 'Origin is not this listener' });
    return;
  }
  if (site !== 'same-origin') throw new GatewayError('PG_CONSOLE_CROSS_ORIGIN', { detail: 'a change needs Origin or Sec-Fetch-Site: same-origin' });
}

/** Throws PG_CONSOLE_CSRF when a change lacks the session's CSRF token. */
export function refuseWithoutCsrf(request: FastifyRequest, expected: string): void {
  if (SAFE.has(request.method)) return;
  const given = request.headers[CSRF_HEADER];
  const a = Buffer.from(typeof given === 'string' ? given : '');
  const b = Buffer.from(expected);
  const ok = a.length === b.length && timingSafeEqual(a, b);
  if (!ok) throw new GatewayError('PG_CONSOLE_CSRF', { detail: given === undefined ? 'no X-CSRF-Token header' : 'X-CSRF-Token is not this session\'s' });
}

/** The Set-Cookie value of a session: never readable by scripts, never sent cross-site, Secure over TLS. */
export function sessionCookieHeader(request: FastifyRequest, id: string, maxAgeSeconds: number): string {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}${secure}`;
}
