// The certificate every TLS contender of `npm run bench:tls` serves: made with openssl at start, for 127.0.0.1 only,
// in a temp dir removed when the bench exits.
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from './child-processes.js';

export interface CertificateFiles {
  /** Absolute paths of the PEM files. */
  readonly cert: string;
  readonly key: string;
}

export interface SelfSignedCertificate extends CertificateFiles {
  /** The certificate's PEM, which clients trust as their only CA (so every connection verifies it). */
  readonly pem: string;
  /** SHA-256 fingerprint, colon-separated, as `getPeerCertificate().fingerprint256` gives it. */
  readonly fingerprint256: string;
  /** e.g. `ECDSA P-256`: the key type decides most of what a full handshake costs the server. */
  readonly keyType: string;
}

/** The key types the bench can sign with: ECDSA P-256 (what Let's Encrypt issues by default) or RSA 2048. */
export type KeyType = 'ec' | 'rsa';

const KEY_ARGS: Record<KeyType, readonly string[]> = {
  ec: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  rsa: ['-newkey', 'rsa:2048'],
};
const KEY_NAMES: Record<KeyType, string> = { ec: 'ECDSA P-256', rsa: 'RSA 2048' };

export async function selfSignedCertificate(keyType: KeyType): Promise<SelfSignedCertificate> {
  const dir = tempDir('permgate-bench-tls-');
  const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
  // The IP SAN lets a client verify the certificate against 127.0.0.1, the only address the contenders listen on.
  await promisify(execFile)('openssl', ['req', '-x509', ...KEY_ARGS[keyType], '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
  const pem = readFileSync(cert, 'utf8');
  return { cert, key, pem, fingerprint256: new X509Certificate(pem).fingerprint256, keyType: KEY_NAMES[keyType] };
}
