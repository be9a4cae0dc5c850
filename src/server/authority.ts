// The target authority of an HTTP/2 request (RFC 9113 §8.3.1): `:authority` (or, without it, one `host`), and when
// both are sent they must name the same, or a backend reading Host would see another site than the one the gateway
// matched. What is left is put in `host`, so every later stage reads one field whatever the client spoke.
import type { IncomingHttpHeaders } from 'node:http';

/** Checks and sets `headers.host`; returns why the request is refused, or undefined. */
export function authorityProblem(headers: IncomingHttpHeaders, hostLines: number): string | undefined {
  const authority = headers[':authority'] as string | undefined;
  if (hostLines > 1) return 'more than one Host header';
  const host = headers.host;
  if (authority === undefined || authority === '') {
    if (host === undefined || host === '') return 'no :authority and no Host';
    return undefined;
  }
  if (host !== undefined && host.toLowerCase() !== authority.toLowerCase()) return ':authority and Host disagree';
  headers.host = authority;
  return undefined;
}

/**
 * The size of an HTTP/2 header list as SETTINGS_MAX_HEADER_LIST_SIZE counts it (RFC 9113 §6.5.2: name and value
 * octets plus 32 per field). Node advertises the setting but does not enforce it on what it receives.
 */
export function headerListSize(rawHeaders: readonly string[]): number {
  let size = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) size += rawHeaders[i]!.length + rawHeaders[i + 1]!.length + 32;
  return size;
}
