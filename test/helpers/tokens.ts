// Real keys and real tokens for tests: jose signs, node:crypto makes the keys.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';

export const TEST_SECRET = 'a-test-secret-that-is-at-least-32-bytes-long!';
export const ISSUER = 'test-issuer';
export const AUDIENCE = 'permgate';

export interface KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly publicPem: string;
}

export function keyPair(kind: 'rsa' | 'ec' | 'ed25519'): KeyPair {
  const pair =
    kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : kind === 'ec'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('ed25519');
  return { ...pair, publicPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** Seconds since the epoch of `now` (ms). */
export const seconds = (now: number): number => Math.floor(now / 1000);

export interface TokenOptions {
  readonly alg?: string;
  readonly key?: KeyObject | Uint8Array;
  readonly kid?: string;
  readonly header?: Record<string, unknown>;
  readonly now?: number;
  readonly ttlSeconds?: number;
}

/** A token with sensible defaults (iss, aud, iat, exp, jti, scope order:read); `claims` override them. */
export async function token(claims: JWTPayload & Record<string, unknown> = {}, options: TokenOptions = {}): Promise<string> {
  const now = seconds(options.now ?? Date.now());
  const alg = options.alg ?? 'HS256';
  const body = { iss: ISSUER, aud: AUDIENCE, sub: 'alice', iat: now, exp: now + (options.ttlSeconds ?? 600), jti: `jti-${Math.random()}`, scope: 'order:read', ...claims };
  for (const [k, v] of Object.entries(body)) if (v === undefined) delete (body as Record<string, unknown>)[k];
  const header = { alg, typ: 'JWT', ...(options.kid ? { kid: options.kid } : {}), ...options.header };
  return new SignJWT(body).setProtectedHeader(header as never).sign(options.key ?? new TextEncoder().encode(TEST_SECRET));
}

/** Encodes a JWT by hand (for shapes jose refuses to produce) and signs it with HMAC-SHA256. */
export async function handmadeHs256(headerJson: string, payloadJson: string, secret: string | Uint8Array = TEST_SECRET): Promise<string> {
  const { createHmac } = await import('node:crypto');
  const b64 = (text: string): string => Buffer.from(text).toString('base64url');
  const input = `${b64(headerJson)}.${b64(payloadJson)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/**
 * An `auth` section accepting HS256 tokens made by `token()`. `jwt` lines are added under `auth.jwt` (indent 4),
 * `revocation` is the flow map of `auth.revocation`.
 */
export function hsAuth(options: { jwt?: string; revocation?: string } = {}): string {
  return `
auth:
  jwt:
    algorithms: [HS256]
    issuer: ${ISSUER}
    audience: ${AUDIENCE}
    secret: "${TEST_SECRET}"
${options.jwt ? options.jwt.replace(/^/gm, '    ') + '\n' : ''}${options.revocation ? `  revocation: ${options.revocation}\n` : ''}`;
}

export const HS_AUTH = hsAuth();
