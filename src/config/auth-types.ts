// The `auth` section: how callers are authenticated (JWT) and how revocations are honoured.
import type { Milliseconds } from './units.js';

/** Algorithms permgate verifies. `none` is not representable. */
export const JWT_ALGORITHMS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

export interface JwtSecret {
  readonly kid: string | undefined;
  /** The shared secret's bytes. Never logged. */
  readonly value: Uint8Array;
}

export interface JwtPublicKey {
  readonly kid: string | undefined;
  /** PEM text (SPKI or certificate), read from `file` or given inline as `pem`. */
  readonly pem: string;
  /** Where it came from, for messages (`file` path or `inline`). */
  readonly source: string;
}

export interface JwksConfig {
  readonly uri: URL;
  /** An unknown `kid` refetches the key set at most once per cooldown. */
  readonly cooldown: Milliseconds;
  /** The key set is refreshed in the background this often; a failed refresh keeps the keys it has. */
  readonly refreshInterval: Milliseconds;
  readonly timeout: Milliseconds;
  /** A document larger than this (bytes, counted as it arrives) is a failed refresh. Default 64 KiB. */
  readonly maxSize: number;
  /** A document with more keys than this is a failed refresh. Default 100. */
  readonly maxKeys: number;
}

export interface ClaimMapping {
  /** Dotted paths into the claims (`realm_access.roles`). */
  readonly subject: string;
  /** Undefined unless the config names it: token roles then count for nothing (no default mapping). */
  readonly roles: string | undefined;
  readonly tenant: string;
  readonly scopes: string;
}

export interface JwtConfig {
  readonly algorithms: readonly JwtAlgorithm[];
  readonly issuer: readonly string[];
  readonly audience: readonly string[];
  readonly clockTolerance: Milliseconds;
  /** Tokens older than this (by `iat`) are refused. */
  readonly maxTokenAge: Milliseconds | undefined;
  /** `exp - iat` may not exceed this: a token minted for a year is refused even if its signature is good. */
  readonly maxLifetime: Milliseconds;
  readonly requiredClaims: readonly string[];
  readonly secrets: readonly JwtSecret[];
  readonly publicKeys: readonly JwtPublicKey[];
  readonly jwks: JwksConfig | undefined;
  /** Also read the token from this cookie when there is no Authorization header. */
  readonly cookie: string | undefined;
  readonly claims: ClaimMapping;
  /**
   * Accepted `typ` header values (RFC 8725 §3.11), lower case, `application/` dropped (RFC 7515 §4.1.9).
   * Default: jwt, at+jwt.
   */
  readonly types: readonly string[];
  /** Refuse a token without a `typ` header. Default false. */
  readonly typeRequired: boolean;
  /** Tokens longer than this are refused before any parsing. */
  readonly maxTokenSize: number;
  /** Verified tokens remembered, so a token's signature is checked once, not per request. */
  readonly cacheSize: number;
}

export type OnStoreDown = 'deny' | 'allow-cached';

export interface RevocationConfig {
  /** What a route does when revocations cannot be known to be current; routes may override. */
  readonly onStoreDown: OnStoreDown;
  /** How often each instance compares its revocation version with Redis (catches a missed pub/sub message). */
  readonly syncInterval: Milliseconds;
}

export interface AuthConfig {
  readonly jwt: JwtConfig;
  readonly revocation: RevocationConfig;
}
