// Checks the `auth` section beyond its schema (schema/auth-schema.ts): keys that fit the algorithms, secrets long
// enough, PEM files that read as public keys, a JWKS URL that is https, and settings that only matter together.
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { AuthConfig, JwtAlgorithm, JwtPublicKey, JwtSecret } from './auth-types.js';
import { bytes, isPlain, ms, strings, type Checker, type Plain } from './checker.js';
import type { AuthDocument } from './schema/auth-schema.js';

export { DEFAULT_TOKEN_TYPES } from './schema/auth-schema.js';

/**
 * A `typ` value as compared: lower case, without an `application/` prefix (RFC 7515 §4.1.9 says it may be left out,
 * and media types compare case-insensitively), so `application/at+jwt`, `AT+JWT` and `at+jwt` are one type.
 */
export function tokenType(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') && lower.indexOf('/', 12) === -1 ? lower.slice(12) : lower;
}

const JWT_PATH = ['auth', 'jwt'];
const JWKS_SETTINGS = ['jwksCooldown', 'jwksRefresh', 'jwksTimeout', 'jwksMaxSize', 'jwksMaxKeys'] as const;

function tokenTypes(c: Checker, value: unknown): string[] {
  const path = [...JWT_PATH, 'types'];
  const types = strings(value).map(tokenType);
  if (types.length === 0) c.fail(path, 'must list at least one token type', 'e.g. [JWT, at+jwt]; the default accepts those two');
  for (const [i, type] of types.entries()) {
    if (!/^[a-z0-9!#$&^_.+-]+(\/[a-z0-9!#$&^_.+-]+)?$/.test(type)) c.fail([...path, i], `"${type}" is not a media type`);
  }
  return types;
}

function checkSecrets(c: Checker, j: AuthDocument['jwt'], wantsHmac: boolean): JwtSecret[] {
  const secrets: JwtSecret[] = [];
  if (j.secret !== undefined && j.secrets !== undefined) c.fail([...JWT_PATH, 'secret'], 'give either `secret` or `secrets`, not both');
  const given = j.secret !== undefined ? [{ at: [...JWT_PATH, 'secret'], value: j.secret, kid: undefined }] : (Array.isArray(j.secrets) ? j.secrets : []).map((s, i) => ({ at: [...JWT_PATH, 'secrets', i], value: s?.value, kid: s?.kid }));
  for (const { at, value: text, kid } of given) {
    if (typeof text !== 'string') continue;
    // The message never repeats the secret.
    if (text.includes('-----BEGIN')) c.fail(at, 'a PEM key is not an HMAC secret', 'put public keys under publicKeys');
    else {
      const value = new TextEncoder().encode(text);
      if (value.length < 32) c.fail(at, `an HMAC secret needs at least 32 bytes, this one has ${value.length}`, 'e.g. openssl rand -base64 48');
      else secrets.push({ kid, value });
    }
  }
  if (secrets.length > 1 && secrets.some((s) => s.kid === undefined)) c.fail([...JWT_PATH, 'secrets'], 'with several secrets, each needs a kid');
  if (wantsHmac && secrets.length === 0) c.fail([...JWT_PATH, 'algorithms'], 'an HS algorithm is allowed but no secret is configured');
  if (!wantsHmac && secrets.length > 0) c.fail([...JWT_PATH, j.secret !== undefined ? 'secret' : 'secrets'], 'a secret is configured but no HS algorithm is allowed');
  return secrets;
}

function checkPublicKeys(c: Checker, j: AuthDocument['jwt'], configFile: string): JwtPublicKey[] {
  const publicKeys: JwtPublicKey[] = [];
  (Array.isArray(j.publicKeys) ? j.publicKeys : []).forEach((entry, i) => {
    const path = [...JWT_PATH, 'publicKeys', i];
    if (!isPlain(entry)) return;
    if ((entry.file === undefined) === (entry.pem === undefined)) return c.fail(path, 'give exactly one of `file` or `pem`');
    let pem = entry.pem;
    let source = 'inline';
    if (typeof entry.file === 'string') {
      source = resolve(dirname(configFile), entry.file);
      try {
        pem = readFileSync(source, 'utf8');
      } catch (err) {
        return c.fail([...path, 'file'], `cannot read ${source}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }
    if (typeof pem !== 'string') return;
    if (pem.includes('PRIVATE KEY')) return c.fail(path, 'this is a private key; the gateway only needs the public key', 'openssl pkey -in key.pem -pubout');
    try {
      createPublicKey(pem);
    } catch {
      return c.fail(path, 'is not a PEM public key or certificate');
    }
    publicKeys.push({ kid: entry.kid, pem, source });
  });
  return publicKeys;
}

/** `rawJwt` is `auth.jwt` as written, before defaults: the JWKS settings count as given only if written. */
function checkJwks(c: Checker, j: AuthDocument['jwt'], rawJwt: Plain): AuthConfig['jwt']['jwks'] {
  if (j.jwksUri === undefined) {
    for (const key of JWKS_SETTINGS) if (rawJwt[key] !== undefined) c.fail([...JWT_PATH, key], 'has no effect without jwksUri', undefined, true);
    return undefined;
  }
  if (typeof j.jwksUri !== 'string') return undefined;
  const uri = URL.parse(j.jwksUri);
  const loopback = uri !== null && ['127.0.0.1', 'localhost', '[::1]'].includes(uri.hostname);
  if (!uri || !(uri.protocol === 'https:' || (uri.protocol === 'http:' && loopback))) {
    return c.fail([...JWT_PATH, 'jwksUri'], 'expected an https:// URL (http:// only on this machine)');
  }
  return {
    uri,
    cooldown: ms(j.jwksCooldown)!,
    refreshInterval: ms(j.jwksRefresh)!,
    timeout: ms(j.jwksTimeout)!,
    maxSize: bytes(j.jwksMaxSize)!,
    maxKeys: j.jwksMaxKeys!,
  };
}

export function checkAuth(c: Checker, a: AuthDocument, rawAuth: unknown, configFile: string): AuthConfig | undefined {
  const j = a.jwt;
  if (!isPlain(j)) return undefined;
  const rawJwt = isPlain(rawAuth) && isPlain(rawAuth.jwt) ? rawAuth.jwt : {};
  const algorithms: JwtAlgorithm[] = [];
  (Array.isArray(j.algorithms) ? j.algorithms : []).forEach((alg, i) => {
    if (typeof alg === 'string' && alg.toLowerCase() === 'none') c.fail([...JWT_PATH, 'algorithms', i], 'unsigned tokens (alg: none) can never be accepted');
    else algorithms.push(alg as JwtAlgorithm);
  });
  const wantsHmac = algorithms.some((alg) => alg.startsWith('HS'));
  const wantsAsymmetric = algorithms.some((alg) => !alg.startsWith('HS'));
  const issuer = strings(j.issuer);
  if (issuer.length === 0 && typeof j.issuer !== 'string') c.fail([...JWT_PATH, 'issuer'], 'is required: tokens from any issuer would be accepted', 'the `iss` your identity provider sets');
  const audience = strings(j.audience);
  if (audience.length === 0 && typeof j.audience !== 'string') c.fail([...JWT_PATH, 'audience'], 'is required: tokens minted for other services would be accepted', 'the `aud` meant for this gateway');
  const secrets = checkSecrets(c, j, wantsHmac);
  const publicKeys = checkPublicKeys(c, j, configFile);
  const jwks = checkJwks(c, j, rawJwt);
  if (wantsAsymmetric && publicKeys.length === 0 && j.jwksUri === undefined) {
    c.fail([...JWT_PATH, 'algorithms'], 'an asymmetric algorithm is allowed but no publicKeys or jwksUri is configured');
  }
  const claims = j.claims!;
  const revocation = a.revocation!;
  return {
    jwt: {
      algorithms,
      issuer,
      audience,
      clockTolerance: ms(j.clockTolerance)!,
      maxTokenAge: j.maxTokenAge === undefined ? undefined : ms(j.maxTokenAge),
      maxLifetime: ms(j.maxLifetime)!,
      requiredClaims: strings(j.requiredClaims),
      secrets,
      publicKeys,
      jwks,
      cookie: j.cookie,
      // No default for roles: a token names roles that count only when the operator says which claim holds them.
      claims: { subject: claims.subject!, roles: claims.roles, tenant: claims.tenant!, scopes: claims.scopes! },
      types: tokenTypes(c, j.types),
      typeRequired: j.typeRequired!,
      maxTokenSize: bytes(j.maxTokenSize)!,
      cacheSize: j.cacheSize!,
    },
    revocation: { onStoreDown: revocation.onStoreDown!, syncInterval: ms(revocation.syncInterval)! },
  };
}
