// The `auth` section's shape and defaults: the JWT policy (algorithms, issuer, audience, keys) and revocations.
// Whether the keys fit the algorithms, and reading PEM files, are checked by validate-auth.ts.
import { Type, type Static } from './type.js';
import { JWT_ALGORITHMS } from '../auth-types.js';
import { choice, duration, flag, integer, list, mapping, optional, size, text } from './kinds.js';

/** The `typ` values accepted by default (RFC 8725 §3.11): plain JWTs and OAuth access tokens (RFC 9068). */
export const DEFAULT_TOKEN_TYPES: readonly string[] = ['jwt', 'at+jwt'];

const oneOrMore = (description: string) => Type.Union([text(description), list(text(description), description)], { description: `${description}: one, or a list` });

const jwksOnly = (what: string) => `${what} (only with jwksUri)`;

export const JwtSchema = mapping({
  algorithms: list(Type.String({ description: 'A JWS algorithm', enum: [...JWT_ALGORITHMS] }), 'Algorithms tokens may be signed with; `none` is never accepted', { minItems: 1, errorMessage: 'must list the algorithms tokens may use', errorHint: 'e.g. [RS256] or [HS256]' }),
  issuer: oneOrMore('Accepted `iss` values'),
  audience: oneOrMore('Accepted `aud` values'),
  clockTolerance: optional(duration('Leeway for exp, nbf and iat', '30s')),
  maxTokenAge: optional(duration('Tokens older than this (by iat) are refused; default: no limit')),
  maxLifetime: optional(duration('exp - iat may not exceed this', '1d')),
  requiredClaims: optional(list(text('A claim name'), 'Claims every token must carry', { default: [] })),
  secret: optional(text('The HMAC secret, at least 32 bytes (never logged)')),
  secrets: optional(list(mapping({
    kid: optional(text('Key id the token\'s header names')),
    value: text('The HMAC secret, at least 32 bytes'),
  }, 'An HMAC secret with its key id'), 'Several HMAC secrets, each with a kid (rotation)')),
  publicKeys: optional(list(mapping({
    kid: optional(text('Key id the token\'s header names')),
    file: optional(text('PEM file, relative to the config file')),
    pem: optional(text('PEM text, inline')),
  }, 'A public key or certificate: exactly one of file or pem'), 'Public keys for the asymmetric algorithms', { default: [] })),
  jwksUri: optional(text('https:// URL of a JSON Web Key Set (http:// only on this machine)')),
  jwksCooldown: optional(duration(jwksOnly('An unknown kid refetches the key set at most once per cooldown'), '30s')),
  jwksRefresh: optional(duration(jwksOnly('The key set is refreshed in the background this often'), '10m')),
  jwksTimeout: optional(duration(jwksOnly('A key set fetch gives up after this long'), '2s')),
  jwksMaxSize: optional(size(jwksOnly('A larger key set document is a failed refresh'), '64kb')),
  jwksMaxKeys: optional(integer(1, 10_000, jwksOnly('A key set with more keys is a failed refresh'), 100)),
  cookie: optional(text('Also read the token from this cookie when there is no Authorization header')),
  claims: optional(mapping({
    subject: optional(text('Dotted claim path of the subject', { default: 'sub' })),
    roles: optional(text('Dotted claim path of the roles (e.g. realm_access.roles); unset: token roles count for nothing')),
    tenant: optional(text('Dotted claim path of the tenant', { default: 'tid' })),
    scopes: optional(text('Dotted claim path of the scope codes', { default: 'scope' })),
  }, 'Where the identity is read from the token\'s claims', { default: {} })),
  maxTokenSize: optional(size('Tokens longer than this are refused before any parsing', '8kb')),
  cacheSize: optional(integer(0, 10_000_000, 'Verified tokens remembered, so a signature is checked once', 10_000)),
  types: optional(Type.Union([text('A typ value'), list(text('A typ value'), 'typ values')], { description: 'Accepted `typ` header values (case-insensitive, application/ optional)', default: [...DEFAULT_TOKEN_TYPES] })),
  typeRequired: optional(flag('Refuse a token without a typ header', false)),
}, 'How tokens are verified');

/** What a route does when revocations cannot be known to be current. */
export const OnStoreDownSchema = choice(['deny', 'allow-cached'], 'What a route does while revocations cannot be known to be current');

export const AuthSchema = mapping({
  jwt: JwtSchema,
  revocation: optional(mapping({
    onStoreDown: optional({ ...OnStoreDownSchema, default: 'deny' }),
    syncInterval: optional(duration('How often each instance compares its revocation version with the store', '1s')),
  }, 'How revocations are honoured', { default: {} })),
}, 'How callers are authenticated; absent: every route that is not `auth: none` answers 401');

export type AuthDocument = Static<typeof AuthSchema>;
