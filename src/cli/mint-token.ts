// `permgate token`: mints a token with the configured HS secret, for trying a gateway out. Refuses when the
// gateway only has public keys: it never holds a private key, and should not.
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { AuthConfig } from '../config/auth-types.js';
import { parseDuration } from '../config/units.js';

export interface MintOptions {
  readonly subject: string;
  readonly roles: readonly string[];
  readonly tenant: string | undefined;
  readonly scopes: readonly string[];
  readonly ttl: string;
}

export async function mintToken(auth: AuthConfig | undefined, options: MintOptions): Promise<string> {
  if (auth === undefined) throw new Error('the configuration has no `auth` section');
  const alg = auth.jwt.algorithms.find((a) => a.startsWith('HS'));
  const secret = auth.jwt.secrets[0];
  if (alg === undefined || secret === undefined) {
    throw new Error('only public keys are configured: mint tokens with your identity provider, which holds the private key');
  }
  const ttl = parseDuration(options.ttl);
  if (ttl === undefined) throw new Error(`--ttl "${options.ttl}" is not a duration (e.g. 15m, 1h)`);
  if (ttl > auth.jwt.maxLifetime) throw new Error(`--ttl exceeds auth.jwt.maxLifetime; the gateway would refuse the token`);
  const claims: Record<string, unknown> = {};
  if (auth.jwt.claims.roles !== undefined && options.roles.length > 0) setPath(claims, auth.jwt.claims.roles, options.roles);
  if (options.tenant !== undefined) setPath(claims, auth.jwt.claims.tenant, options.tenant);
  if (options.scopes.length > 0) setPath(claims, auth.jwt.claims.scopes, options.scopes.join(' '));
  const jwt = new SignJWT(claims)
    .setProtectedHeader(secret.kid === undefined ? { alg, typ: 'JWT' } : { alg, typ: 'JWT', kid: secret.kid })
    .setSubject(options.subject)
    .setIssuer(auth.jwt.issuer[0]!)
    .setAudience(auth.jwt.audience[0]!)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime(Math.floor((Date.now() + ttl) / 1000));
  return jwt.sign(secret.value);
}

/** Writes a value at a dotted claim path (`realm_access.roles`), so minted tokens match the claim mapping. */
function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[keys.at(-1)!] = value;
}
