// Finds the caller's token: `Authorization: Bearer …` (RFC 6750 §2.1), or a configured cookie.
import type { IncomingHttpHeaders } from 'node:http';

/** Returns the token, or undefined when the request carries none. A non-Bearer Authorization carries none. */
export function extractBearerToken(headers: IncomingHttpHeaders, cookieName: string | undefined): string | undefined {
  const authorization = headers.authorization;
  if (authorization !== undefined) {
    // The scheme is case-insensitive; exactly one space-separated credential follows it.
    if (authorization.length > 7 && authorization.slice(0, 7).toLowerCase() === 'bearer ') {
      const token = authorization.slice(7).trim();
      return token === '' ? undefined : token;
    }
    return undefined;
  }
  if (cookieName === undefined) return undefined;
  const cookie = headers.cookie;
  if (cookie === undefined) return undefined;
  for (const pair of cookie.split(';')) {
    const eq = pair.indexOf('=');
    if (eq !== -1 && pair.slice(0, eq).trim() === cookieName) return pair.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}
