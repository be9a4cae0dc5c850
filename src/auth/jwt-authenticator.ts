// Verifies bearer JWTs with jose, configured explicitly (docs/security-rules.md rule 5), and remembers verified
// tokens so a token's signature is checked once rather than on every request. Revocation is checked after this, every
// time.
import { base64url, decodeProtectedHeader, errors, jwtVerify, type JWTVerifyOptions } from 'jose';
import { LRUCache } from 'lru-cache';
import type { JwtConfig } from '../config/auth-types.js';
import { tokenType } from '../config/validate-auth.js';
import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError, type ErrorCode } from '../errors.js';
import type { Authenticator } from './authenticator.js';
import { extractBearerToken } from './bearer-token.js';
import { hasDuplicateTopLevelKey, identityFromClaims, invalidTokenChallenge, type VerifiedToken } from './claims.js';
import type { KeyResolver } from './key-resolver.js';

interface CachedToken {
  readonly verified: VerifiedToken;
  /** Seconds since the epoch. */
  readonly validUntil: number;
}

/** Header parameters that would let a token choose its own key or rules; refused outright (RFC 8725 §3.10). */
const FORBIDDEN_HEADERS = ['jwk', 'jku', 'x5u', 'x5c', 'crit'];

export interface AuthOutcomes {
  /** Counts each authentication by outcome: `ok`, `cached`, or the error code. */
  onOutcome(outcome: string): void;
}

export class JwtAuthenticator implements Authenticator {
  readonly #config: JwtConfig;
  readonly #keys: KeyResolver;
  readonly #options: JWTVerifyOptions;
  /** Undefined when `cacheSize` is 0: every request then pays the signature check. */
  readonly #cache: LRUCache<string, CachedToken> | undefined;
  readonly #now: () => number;
  readonly #outcomes: AuthOutcomes;

  constructor(config: JwtConfig, keys: KeyResolver, outcomes: AuthOutcomes, now: () => number = Date.now) {
    this.#config = config;
    this.#keys = keys;
    this.#now = now;
    this.#outcomes = outcomes;
    const options: JWTVerifyOptions = {
      algorithms: [...config.algorithms],
      clockTolerance: config.clockTolerance / 1000,
      requiredClaims: ['exp', ...config.requiredClaims],
      currentDate: undefined,
    };
    if (config.issuer.length > 0) options.issuer = [...config.issuer];
    if (config.audience.length > 0) options.audience = [...config.audience];
    if (config.maxTokenAge !== undefined) options.maxTokenAge = config.maxTokenAge / 1000;
    this.#options = options;
    this.#cache = config.cacheSize > 0 ? new LRUCache({ max: config.cacheSize }) : undefined;
  }

  authenticate(headers: IncomingHttpHeaders): VerifiedToken | Promise<VerifiedToken> {
    const token = extractBearerToken(headers, this.#config.cookie);
    if (token === undefined) {
      this.#outcomes.onOutcome('PG_TOKEN_MISSING');
      // RFC 6750 §3.1: a request without credentials gets the challenge but no error code.
      throw new GatewayError('PG_TOKEN_MISSING', { headers: { 'www-authenticate': 'Bearer realm="permgate"' } });
    }
    return this.verify(token);
  }

  /** Verifies one token (from the cache when it can): the request path's check, also used by the admin API. */
  verify(token: string): VerifiedToken | Promise<VerifiedToken> {
    if (token.length > this.#config.maxTokenSize) throw this.#fail('PG_TOKEN_TOO_LARGE', 'token too large');
    const nowSeconds = this.#now() / 1000;
    const cached = this.#cache?.get(token);
    // A cached token is re-checked against the clock on every use; only the signature check is skipped.
    if (cached !== undefined && cached.validUntil > nowSeconds) {
      this.#outcomes.onOutcome('cached');
      return cached.verified;
    }
    return this.#verify(token).then((verified) => {
      this.#cache?.set(token, { verified, validUntil: this.#validUntil(verified) });
      this.#outcomes.onOutcome('ok');
      return verified;
    });
  }

  /** The last second a verified token may be answered from the cache: its exp, or its maxTokenAge, if sooner. */
  #validUntil(verified: VerifiedToken): number {
    const tolerance = this.#config.clockTolerance / 1000;
    let until = verified.exp + tolerance;
    if (this.#config.maxTokenAge !== undefined && verified.iat !== undefined) {
      until = Math.min(until, verified.iat + this.#config.maxTokenAge / 1000 + tolerance);
    }
    return until;
  }

  async #verify(token: string): Promise<VerifiedToken> {
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw this.#fail('PG_TOKEN_MALFORMED', 'not a signed JWT');
    }
    for (const name of FORBIDDEN_HEADERS) {
      if (Object.hasOwn(header, name)) throw this.#fail('PG_TOKEN_MALFORMED', `the ${name} header is not accepted`);
    }
    if (typeof header.kid !== 'undefined' && (typeof header.kid !== 'string' || header.kid.length > 256)) {
      throw this.#fail('PG_TOKEN_MALFORMED', 'the kid header must be a short string');
    }
    // Explicit typing (RFC 8725 §3.11): a refresh token, an ID token or any other JWT the issuer signs for another
    // purpose is not an access token here, however valid its signature.
    if (header.typ === undefined) {
      if (this.#config.typeRequired) throw this.#fail('PG_TOKEN_WRONG_TYPE', 'the token has no typ header');
    } else if (typeof header.typ !== 'string' || !this.#config.types.includes(tokenType(header.typ))) {
      throw this.#fail('PG_TOKEN_WRONG_TYPE', 'the token type (typ) is not accepted here');
    }
    const payloadText = payloadOf(token);
    let duplicate: boolean;
    try {
      duplicate = payloadText === undefined || hasDuplicateTopLevelKey(payloadText);
    } catch {
      duplicate = true; // a key that is not a valid JSON string: unreadable
    }
    if (duplicate) throw this.#fail('PG_TOKEN_MALFORMED', 'duplicate or unreadable claims');

    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.#keys.resolve, { ...this.#options, currentDate: new Date(this.#now()) }));
    } catch (err) {
      const [code, description] = classify(err);
      throw this.#fail(code, description, err);
    }
    const nowSeconds = this.#now() / 1000;
    const tolerance = this.#config.clockTolerance / 1000;
    if (typeof payload.exp !== 'number') throw this.#fail('PG_TOKEN_MALFORMED', 'exp must be a number');
    if (payload.iat !== undefined) {
      if (typeof payload.iat !== 'number') throw this.#fail('PG_TOKEN_MALFORMED', 'iat must be a number');
      // jose checks a future iat only with maxTokenAge; a token from the future is refused here in every case.
      if (payload.iat > nowSeconds + tolerance) throw this.#fail('PG_TOKEN_NOT_YET_VALID', 'issued in the future');
    }
    const lifetime = payload.exp - (typeof payload.iat === 'number' ? payload.iat : nowSeconds);
    if (lifetime * 1000 > this.#config.maxLifetime) throw this.#fail('PG_TOKEN_EXPIRED', 'token lifetime exceeds the maximum');
    try {
      return identityFromClaims(payload, this.#config.claims);
    } catch (err) {
      if (err instanceof GatewayError) this.#outcomes.onOutcome(err.code);
      throw err;
    }
  }

  #fail(code: ErrorCode, description: string, cause?: unknown): GatewayError {
    this.#outcomes.onOutcome(code);
    return new GatewayError(code, { detail: description, headers: invalidTokenChallenge(description), cause });
  }
}

function payloadOf(token: string): string | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(base64url.decode(parts[1]!));
  } catch {
    return undefined;
  }
}

/** jose's errors (and anything else, TypeError included) to a code and a description that never echoes the token. */
function classify(err: unknown): [ErrorCode, string] {
  if (err instanceof errors.JWTExpired) return ['PG_TOKEN_EXPIRED', err.claim === 'iat' ? 'token too old' : 'token expired'];
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.reason === 'missing') return ['PG_TOKEN_MALFORMED', `missing required claim ${err.claim}`];
    if (err.claim === 'iss') return ['PG_TOKEN_WRONG_ISSUER', 'unexpected issuer'];
    if (err.claim === 'aud') return ['PG_TOKEN_WRONG_AUDIENCE', 'unexpected audience'];
    if (err.claim === 'nbf' || err.claim === 'iat') return ['PG_TOKEN_NOT_YET_VALID', 'token not valid yet'];
    return ['PG_TOKEN_MALFORMED', `invalid ${err.claim} claim`];
  }
  if (
    err instanceof errors.JWSSignatureVerificationFailed ||
    err instanceof errors.JOSEAlgNotAllowed ||
    err instanceof errors.JWKSNoMatchingKey ||
    err instanceof errors.JWKSMultipleMatchingKeys
  ) {
    return ['PG_TOKEN_BAD_SIGNATURE', 'signature, algorithm or key not accepted'];
  }
  return ['PG_TOKEN_MALFORMED', 'malformed token'];
}
