// Checks `server.upstreamHeaders` and a route's `upstreamHeaders` (names the gateway owns, duplicates, the source
// syntax), and lower-cases `server.forwardedHosts` (the schema checked their form).
import { isReservedUpstreamHeader } from '../upstream/request-headers.js';
import { isPlain, strings, type Checker, type KeyPath } from './checker.js';
import type { HeaderSource, UpstreamHeaders } from './upstream-header-types.js';

const HEADER_NAME = /^[A-Za-z0-9-]{1,128}$/;
const CLAIM_PATH = /^[A-Za-z0-9_$@~:-]+(\.[A-Za-z0-9_$@~:-]+)*$/;
const DECISIONS = ['tenant', 'roles', 'codes'] as const;
const HINT = 'one of subject, claim:<dotted.path>, decision:tenant, decision:roles, decision:codes';

function source(c: Checker, path: KeyPath, text: unknown): HeaderSource | undefined {
  if (typeof text !== 'string') return undefined;
  if (text === 'subject') return { kind: 'subject' };
  if (text.startsWith('claim:')) {
    const claim = text.slice('claim:'.length);
    if (!CLAIM_PATH.test(claim)) return c.fail(path, `"${text}" names no claim path`, 'e.g. claim:email or claim:realm_access.roles');
    return { kind: 'claim', path: claim };
  }
  if (text.startsWith('decision:')) {
    const what = text.slice('decision:'.length);
    if ((DECISIONS as readonly string[]).includes(what)) return { kind: 'decision', what: what as (typeof DECISIONS)[number] };
  }
  return c.fail(path, `unknown header source "${text}"`, HINT);
}

/**
 * `{ Header-Name: source }`. `identityNames` are the identity headers' names (lower case), which the gateway sets
 * itself; names a backend reads as the client's address, path, route or method are refused too.
 */
export function checkUpstreamHeaders(c: Checker, path: KeyPath, value: unknown, identityNames: readonly string[]): UpstreamHeaders | undefined {
  if (!isPlain(value)) return undefined;
  const headers = new Map<string, HeaderSource>();
  for (const [name, spec] of Object.entries(value)) {
    const at = [...path, name];
    const lower = name.toLowerCase();
    if (!HEADER_NAME.test(name)) {
      c.fail(at, 'a header name holds letters, digits and - (≤ 128)', undefined, true);
      continue;
    }
    if (isReservedUpstreamHeader(lower) || identityNames.includes(lower)) {
      c.fail(at, `${name} is set or stripped by the gateway itself and cannot be an upstream header`, 'pick another name, e.g. X-Auth-Email', true);
      continue;
    }
    if (headers.has(lower)) {
      c.fail(at, `${name} is named twice (header names ignore case)`, undefined, true);
      continue;
    }
    const found = source(c, at, spec);
    if (found !== undefined) headers.set(lower, found);
  }
  return headers;
}

/** Host values (as clients send them, with a port where one is used) whose X-Forwarded-Host is passed on. */
export function checkForwardedHosts(value: unknown): string[] {
  return strings(value).map((host) => host.toLowerCase());
}
