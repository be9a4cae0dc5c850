// Checks `server.upstreamHeaders`, a route's `upstreamHeaders`, `server.forwardedHosts` and `forwardAuthorization`.
import { isReservedUpstreamHeader } from '../upstream/request-headers.js';
import type { HeaderSource, UpstreamHeaders } from './upstream-header-types.js';
import type { Checker } from './checker.js';

type KeyPath = readonly (string | number)[];

const HEADER_NAME = /^[A-Za-z0-9-]{1,128}$/;
const CLAIM_PATH = /^[A-Za-z0-9_$@~:-]+(\.[A-Za-z0-9_$@~:-]+)*$/;
const DECISIONS = ['tenant', 'roles', 'codes'] as const;
const HINT = 'one of subject, claim:<dotted.path>, decision:tenant, decision:roles, decision:codes';

function source(c: Checker, path: KeyPath, value: unknown): HeaderSource | undefined {
  const text = c.string(path, value);
  if (text === undefined) return undefined;
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
  if (value === undefined || value === null) return undefined;
  const raw = c.object(path, value, Object.keys(value as object));
  if (!raw) return undefined;
  const headers = new Map<string, HeaderSource>();
  for (const [name, spec] of Object.entries(raw)) {
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

const HOST = /^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/** Host values (as clients send them, with a port where one is used) whose X-Forwarded-Host is passed on. */
export function checkForwardedHosts(c: Checker, path: KeyPath, value: unknown): string[] {
  return (c.list(path, value) ?? []).flatMap((entry, i) => {
    const host = c.string([...path, i], entry);
    if (host === undefined) return [];
    if (!HOST.test(host)) {
      c.fail([...path, i], `"${host}" is not a host name (optionally with :port)`, 'e.g. api.example.com or api.example.com:8443');
      return [];
    }
    return [host.toLowerCase()];
  });
}
