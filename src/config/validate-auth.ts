// Checks the `auth` section: an explicit JWT policy (algorithms, issuer, audience, keys) and revocation settings.
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { JWT_ALGORITHMS, type AuthConfig, type JwtAlgorithm, type JwtPublicKey, type JwtSecret } from './auth-types.js';
import type { Checker } from './checker.js';

type KeyPath = readonly (string | number)[];

function stringList(c: Checker, path: KeyPath, value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return (c.list(path, value) ?? []).flatMap((item, i) => c.string([...path, i], item) ?? []);
}

/** The `typ` values accepted by default (RFC 8725 §3.11): plain JWTs and OAuth access tokens (RFC 9068). */
export const DEFAULT_TOKEN_TYPES: readonly string[] = ['jwt', 'at+jwt'];

/**
 * A `typ` value as compared: lower case, without an `application/` prefix (RFC 7515 §4.1.9 says it may be left out,
 * and media types compare case-insensitively), so `application/at+jwt`, `AT+JWT` and `at+jwt` are one type.
 */
export function tokenType(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') && lower.indexOf('/', 12) === -1 ? lower.slice(12) : lower;
}

function tokenTypes(c: Checker, path: KeyPath, value: unknown): string[] {
  if (value === undefined || value === null) return [...DEFAULT_TOKEN_TYPES];
  const types = stringList(c, path, value).map(tokenType);
  if (types.length === 0) c.fail(path, 'must list at least one token type', 'e.g. [JWT, at+jwt]; the default accepts those two');
  for (const [i, type] of types.entries()) {
    if (!/^[a-z0-9!#$&^_.+-]+(\/[a-z0-9!#$&^_.+-]+)?$/.test(type)) c.fail([...path, i], `"${type}" is not a media type`);
  }
  return types;
}

export function checkAuth(c: Checker, value: unknown, configFile: string): AuthConfig | undefined {
  const a = c.object(['auth'], value, ['jwt', 'revocation']);
  if (!a) return undefined;
  const jwtPath = ['auth', 'jwt'];
  if (a.jwt === undefined) return c.fail(jwtPath, 'is required when `auth` is present');
  const j = c.object(jwtPath, a.jwt, [
    'algorithms', 'issuer', 'audience', 'clockTolerance', 'maxTokenAge', 'maxLifetime', 'requiredClaims',
    'secret', 'secrets', 'publicKeys', 'jwksUri', 'jwksCooldown', 'jwksRefresh', 'jwksTimeout', 'jwksMaxSize', 'jwksMaxKeys', 'cookie', 'claims',
    'maxTokenSize', 'cacheSize', 'types', 'typeRequired',
  ]);
  if (!j) return undefined;

  const algorithms: JwtAlgorithm[] = [];
  const rawAlgorithms = c.list([...jwtPath, 'algorithms'], j.algorithms) ?? [];
  if (rawAlgorithms.length === 0) c.fail([...jwtPath, 'algorithms'], 'must list the algorithms tokens may use', 'e.g. [RS256] or [HS256]');
  rawAlgorithms.forEach((alg, i) => {
    if (typeof alg === 'string' && alg.toLowerCase() === 'none') {
      return c.fail([...jwtPath, 'algorithms', i], 'unsigned tokens (alg: none) can never be accepted');
    }
    const checked = c.oneOf([...jwtPath, 'algorithms', i], alg, JWT_ALGORITHMS, 'HS256');
    if (checked) algorithms.push(checked);
  });
  const wantsHmac = algorithms.some((alg) => alg.startsWith('HS'));
  const wantsAsymmetric = algorithms.some((alg) => !alg.startsWith('HS'));

  const issuer = stringList(c, [...jwtPath, 'issuer'], j.issuer);
  if (issuer.length === 0) c.fail([...jwtPath, 'issuer'], 'is required: tokens from any issuer would be accepted', 'the `iss` your identity provider sets');
  const audience = stringList(c, [...jwtPath, 'audience'], j.audience);
  if (audience.length === 0) c.fail([...jwtPath, 'audience'], 'is required: tokens minted for other services would be accepted', 'the `aud` meant for this gateway');

  const secrets: JwtSecret[] = [];
  if (j.secret !== undefined && j.secrets !== undefined) c.fail([...jwtPath, 'secret'], 'give either `secret` or `secrets`, not both');
  const rawSecrets = j.secret !== undefined ? [{ value: j.secret }] : (c.list([...jwtPath, 'secrets'], j.secrets) ?? []);
  rawSecrets.forEach((raw, i) => {
    const path = j.secret !== undefined ? [...jwtPath, 'secret'] : [...jwtPath, 'secrets', i];
    const entry = j.secret !== undefined ? (raw as { value: unknown }) : c.object(path, raw, ['kid', 'value']);
    if (!entry) return;
    const text = c.string(j.secret !== undefined ? path : [...path, 'value'], entry.value);
    if (text === undefined) return;
    // The message never repeats the secret.
    if (text.includes('-----BEGIN')) return c.fail(path, 'a PEM key is not an HMAC secret', 'put public keys under publicKeys');
    const value = new TextEncoder().encode(text);
    if (value.length < 32) return c.fail(path, `an HMAC secret needs at least 32 bytes, this one has ${value.length}`, 'e.g. openssl rand -base64 48');
    const kid = (entry as { kid?: unknown }).kid === undefined ? undefined : c.string([...path, 'kid'], (entry as { kid?: unknown }).kid);
    secrets.push({ kid, value });
  });
  if (secrets.length > 1 && secrets.some((s) => s.kid === undefined)) c.fail([...jwtPath, 'secrets'], 'with several secrets, each needs a kid');
  if (wantsHmac && secrets.length === 0) c.fail([...jwtPath, 'algorithms'], 'an HS algorithm is allowed but no secret is configured');
  if (!wantsHmac && secrets.length > 0) c.fail([...jwtPath, j.secret !== undefined ? 'secret' : 'secrets'], 'a secret is configured but no HS algorithm is allowed');

  const publicKeys: JwtPublicKey[] = [];
  (c.list([...jwtPath, 'publicKeys'], j.publicKeys) ?? []).forEach((raw, i) => {
    const path = [...jwtPath, 'publicKeys', i];
    const entry = c.object(path, raw, ['kid', 'file', 'pem']);
    if (!entry) return;
    const kid = entry.kid === undefined ? undefined : c.string([...path, 'kid'], entry.kid);
    let pem: string | undefined;
    let source = 'inline';
    if ((entry.file === undefined) === (entry.pem === undefined)) return c.fail(path, 'give exactly one of `file` or `pem`');
    if (entry.file !== undefined) {
      const file = c.string([...path, 'file'], entry.file);
      if (file === undefined) return;
      source = resolve(dirname(configFile), file);
      try {
        pem = readFileSync(source, 'utf8');
      } catch (err) {
        return c.fail([...path, 'file'], `cannot read ${source}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    } else pem = c.string([...path, 'pem'], entry.pem);
    if (pem === undefined) return;
    if (pem.includes('PRIVATE KEY')) return c.fail(path, 'this is a private key; the gateway only needs the public key', 'openssl pkey -in key.pem -pubout');
    try {
      createPublicKey(pem);
    } catch {
      return c.fail(path, 'is not a PEM public key or certificate');
    }
    publicKeys.push({ kid, pem, source });
  });

  let jwks: AuthConfig['jwt']['jwks'];
  if (j.jwksUri !== undefined) {
    const text = c.string([...jwtPath, 'jwksUri'], j.jwksUri);
    let uri: URL | undefined;
    try {
      uri = text === undefined ? undefined : new URL(text);
    } catch {
      uri = undefined;
    }
    const loopback = uri !== undefined && ['127.0.0.1', 'localhost', '[::1]'].includes(uri.hostname);
    if (text !== undefined && (!uri || !(uri.protocol === 'https:' || (uri.protocol === 'http:' && loopback)))) {
      c.fail([...jwtPath, 'jwksUri'], 'expected an https:// URL (http:// only on this machine)');
    } else if (uri) {
      jwks = {
        uri,
        cooldown: c.duration([...jwtPath, 'jwksCooldown'], j.jwksCooldown, 30_000)!,
        refreshInterval: c.duration([...jwtPath, 'jwksRefresh'], j.jwksRefresh, 600_000)!,
        timeout: c.duration([...jwtPath, 'jwksTimeout'], j.jwksTimeout, 2_000)!,
        maxSize: c.size([...jwtPath, 'jwksMaxSize'], j.jwksMaxSize, 64 * 1024)!,
        maxKeys: c.integer([...jwtPath, 'jwksMaxKeys'], j.jwksMaxKeys, 1, 10_000, 100)!,
      };
    }
  } else {
    for (const key of ['jwksCooldown', 'jwksRefresh', 'jwksTimeout', 'jwksMaxSize', 'jwksMaxKeys']) {
      if (j[key] !== undefined) c.fail([...jwtPath, key], 'has no effect without jwksUri', undefined, true);
    }
  }
  if (wantsAsymmetric && publicKeys.length === 0 && j.jwksUri === undefined) {
    c.fail([...jwtPath, 'algorithms'], 'an asymmetric algorithm is allowed but no publicKeys or jwksUri is configured');
  }

  const claimsRaw = j.claims === undefined ? {} : c.object([...jwtPath, 'claims'], j.claims, ['subject', 'roles', 'tenant', 'scopes']);
  const claim = (key: string, fallback: string): string => c.string([...jwtPath, 'claims', key], claimsRaw?.[key], { fallback }) ?? fallback;
  const r = a.revocation === undefined ? {} : c.object(['auth', 'revocation'], a.revocation, ['onStoreDown', 'syncInterval']);
  const cookie = j.cookie === undefined ? undefined : c.string([...jwtPath, 'cookie'], j.cookie);
  const maxTokenAge = j.maxTokenAge === undefined ? undefined : c.duration([...jwtPath, 'maxTokenAge'], j.maxTokenAge, 0);
  return {
    jwt: {
      algorithms,
      issuer,
      audience,
      clockTolerance: c.duration([...jwtPath, 'clockTolerance'], j.clockTolerance, 30_000)!,
      maxTokenAge,
      maxLifetime: c.duration([...jwtPath, 'maxLifetime'], j.maxLifetime, 86_400_000)!,
      requiredClaims: stringList(c, [...jwtPath, 'requiredClaims'], j.requiredClaims ?? []),
      secrets,
      publicKeys,
      jwks,
      cookie,
      // No default for roles: a token names roles that count only when the operator says which claim holds them.
      claims: {
        subject: claim('subject', 'sub'),
        roles: claimsRaw?.roles === undefined ? undefined : c.string([...jwtPath, 'claims', 'roles'], claimsRaw.roles),
        tenant: claim('tenant', 'tid'),
        scopes: claim('scopes', 'scope'),
      },
      types: tokenTypes(c, [...jwtPath, 'types'], j.types),
      typeRequired: c.boolean([...jwtPath, 'typeRequired'], j.typeRequired, false)!,
      maxTokenSize: c.size([...jwtPath, 'maxTokenSize'], j.maxTokenSize, 8 * 1024)!,
      cacheSize: c.integer([...jwtPath, 'cacheSize'], j.cacheSize, 0, 10_000_000, 10_000)!,
    },
    revocation: {
      onStoreDown: c.oneOf(['auth', 'revocation', 'onStoreDown'], r?.onStoreDown, ['deny', 'allow-cached'] as const, 'deny')!,
      syncInterval: c.duration(['auth', 'revocation', 'syncInterval'], r?.syncInterval, 1_000)!,
    },
  };
}
