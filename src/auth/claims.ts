// From verified claims to an Identity, strictly: identity claims must be exactly the types they claim to be.
import { GatewayError } from '../errors.js';
import type { ClaimMapping } from '../config/auth-types.js';
import type { Identity } from './identity.js';
import { subjectProblem } from './subject-name.js';

/** Reads a dotted path (`realm_access.roles`) through own properties only: `constructor` is just a missing key. */
export function readClaim(claims: Readonly<Record<string, unknown>>, path: string): unknown {
  let value: unknown = claims;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function malformed(detail: string): GatewayError {
  return new GatewayError('PG_TOKEN_MALFORMED', { detail, headers: invalidTokenChallenge(detail) });
}

/** RFC 6750 §3: the challenge a client gets with every token error. The description never holds token data. */
export function invalidTokenChallenge(description: string): Record<string, string> {
  return { 'www-authenticate': `Bearer realm="permgate", error="invalid_token", error_description="${description.replaceAll('"', "'")}"` };
}

/** A list of names from an array of strings or a space/comma-separated string (OAuth `scope`). */
function names(value: unknown, what: string): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return value.split(/[\s,]+/).filter(Boolean);
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value as string[];
  throw malformed(`the ${what} claim must be a string or a list of strings`);
}

export interface VerifiedToken {
  readonly identity: Identity;
  readonly jti: string | undefined;
  /** Seconds since the epoch. */
  readonly iat: number | undefined;
  readonly exp: number;
  /** Every verified claim, for the `claim:` sources of `upstreamHeaders`. */
  readonly claims?: Readonly<Record<string, unknown>>;
}

export function identityFromClaims(claims: Readonly<Record<string, unknown>>, mapping: ClaimMapping): VerifiedToken {
  const subject = readClaim(claims, mapping.subject);
  // One grammar for every place a subject enters (subject-name.ts): `"admin "` must not be a caller of its own here
  // and `admin` upstream, and a lone surrogate is not a name at all.
  const problem = subjectProblem(subject);
  if (problem !== undefined) throw malformed(`the subject claim is not a valid subject: ${problem}`);
  const tenant = readClaim(claims, mapping.tenant);
  if (tenant !== undefined && typeof tenant !== 'string') throw malformed('the tenant claim must be a string');
  const jti = claims.jti;
  if (jti !== undefined && typeof jti !== 'string') throw malformed('the jti claim must be a string');
  return {
    identity: {
      subject: subject as string,
      // Token roles count only where the operator mapped a claim to them (`auth.jwt.claims.roles`): by default a
      // token grants nothing by itself.
      roles: mapping.roles === undefined ? [] : unique(names(readClaim(claims, mapping.roles), 'roles')),
      tenant,
      scopes: names(readClaim(claims, mapping.scopes), 'scopes'),
    },
    jti,
    iat: typeof claims.iat === 'number' ? claims.iat : undefined,
    exp: claims.exp as number,
    claims,
  };
}

function unique(list: string[]): string[] {
  return list.length < 2 || new Set(list).size === list.length ? list : [...new Set(list)];
}

/**
 * True when a JSON object text has a key twice at its top level. JSON.parse keeps the last; another parser may
 * keep the first, so `{"sub":"alice","sub":"admin"}` is refused rather than read one way here and another upstream.
 */
export function hasDuplicateTopLevelKey(json: string): boolean {
  const seen = new Set<string>();
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      let end = i + 1;
      while (end < json.length && json[end] !== '"') end += json[end] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) {
        const key = JSON.parse(json.slice(i, end + 1)) as string;
        if (seen.has(key)) return true;
        seen.add(key);
        expectKey = false;
      }
      i = end;
    } else if (c === '{' || c === '[') {
      depth++;
      if (depth === 1 && c === '{') expectKey = true;
    } else if (c === '}' || c === ']') depth--;
    else if (c === ',' && depth === 1) expectKey = true;
  }
  return false;
}
