// Chooses the verification key for a token: shared secrets for HS*, public keys or the JWKS for the rest. The
// families never cross, so a public key can never be used as an HMAC secret (HS/RS confusion).
import { createPublicKey, webcrypto, type KeyObject } from 'node:crypto';
import { errors, type FlattenedJWSInput, type JWSHeaderParameters } from 'jose';
import type { JwtConfig } from '../config/auth-types.js';
import type { JwksKeySource } from './jwks-key-source.js';

type CryptoKey = webcrypto.CryptoKey;
type Key = CryptoKey | KeyObject | Uint8Array;
const HMAC_HASH: Readonly<Record<string, string>> = { HS256: 'SHA-256', HS384: 'SHA-384', HS512: 'SHA-512' };

interface Keyed<K> {
  readonly kid: string | undefined;
  readonly key: K;
}

/** By `kid` when the token names one; otherwise the only key without a kid, if there is exactly one. */
function pick<K>(keys: readonly Keyed<K>[], kid: string | undefined): K | undefined {
  if (kid !== undefined) {
    const named = keys.find((k) => k.kid === kid);
    if (named) return named.key;
  }
  const unnamed = keys.filter((k) => k.kid === undefined);
  return unnamed.length === 1 ? unnamed[0]!.key : undefined;
}

export class KeyResolver {
  readonly #hmac = new Map<string, Keyed<CryptoKey>[]>();
  readonly #public: Keyed<KeyObject>[];
  readonly #jwks: JwksKeySource | undefined;

  private constructor(publicKeys: Keyed<KeyObject>[], jwks: JwksKeySource | undefined) {
    this.#public = publicKeys;
    this.#jwks = jwks;
  }

  /** Imports every configured key once, at load (house habit: build at load, look up per request). */
  static async create(config: JwtConfig, jwks: JwksKeySource | undefined): Promise<KeyResolver> {
    const resolver = new KeyResolver(
      config.publicKeys.map((k) => ({ kid: k.kid, key: createPublicKey(k.pem) })),
      jwks,
    );
    for (const alg of config.algorithms) {
      const hash = HMAC_HASH[alg];
      if (hash === undefined) continue;
      const keys: Keyed<CryptoKey>[] = [];
      for (const secret of config.secrets) {
        const key = await webcrypto.subtle.importKey('raw', secret.value, { name: 'HMAC', hash }, false, ['verify', 'sign']);
        keys.push({ kid: secret.kid, key });
      }
      resolver.#hmac.set(alg, keys);
    }
    return resolver;
  }

  /** jose's key callback. Throws JWKSNoMatchingKey (→ 401 bad signature) when no key fits. */
  resolve = (header: JWSHeaderParameters, token: FlattenedJWSInput): Key | Promise<Key> => {
    const alg = header.alg ?? '';
    if (alg.startsWith('HS')) {
      const key = pick(this.#hmac.get(alg) ?? [], header.kid);
      if (key === undefined) throw new errors.JWKSNoMatchingKey();
      return key;
    }
    const key = pick(this.#public, header.kid);
    if (key !== undefined) return key;
    if (this.#jwks !== undefined) return this.#jwks.getKey(header, token);
    throw new errors.JWKSNoMatchingKey();
  };
}
