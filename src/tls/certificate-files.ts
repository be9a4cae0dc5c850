// Reading a certificate and its key from PEM files, and checking that they belong together, for the config check
// (a bad file is a config error naming it) and for a renewal picked up while running (a bad file keeps the old one).
import { readFileSync } from 'node:fs';
import { createPrivateKey, X509Certificate } from 'node:crypto';

/** A certificate chain and its key, as PEM text, with what the listener needs to know of the leaf. */
export interface CertificatePair {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: string;
  readonly key: string;
  /** DNS names the leaf is valid for (subjectAltName; the CN only when there is none), lower-case. */
  readonly names: readonly string[];
  /** The leaf's notAfter, in milliseconds since the epoch. */
  readonly validTo: number;
  /** Fingerprint of the leaf, to tell a renewal from a rewrite of the same certificate. */
  readonly fingerprint: string;
}

/** Which of the two files is wrong, and how. */
export interface CertificateProblem {
  readonly file: 'cert' | 'key';
  readonly path: string;
  readonly message: string;
}

export type CertificateRead = { readonly pair: CertificatePair } | { readonly problem: CertificateProblem };

export function readCertificatePair(certFile: string, keyFile: string): CertificateRead {
  const certText = readText(certFile);
  if (typeof certText !== 'string') return { problem: { file: 'cert', path: certFile, message: certText.error } };
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(certText);
  } catch {
    return { problem: { file: 'cert', path: certFile, message: `${certFile} holds no PEM certificate` } };
  }
  const keyText = readText(keyFile);
  if (typeof keyText !== 'string') return { problem: { file: 'key', path: keyFile, message: keyText.error } };
  let key;
  try {
    key = createPrivateKey(keyText);
  } catch {
    return { problem: { file: 'key', path: keyFile, message: `${keyFile} holds no PEM private key (an encrypted key is not supported)` } };
  }
  if (!leaf.checkPrivateKey(key)) return { problem: { file: 'key', path: keyFile, message: `${keyFile} is not the key of the certificate in ${certFile}` } };
  return {
    pair: {
      certFile,
      keyFile,
      cert: certText,
      key: keyText,
      names: namesOf(leaf),
      validTo: Date.parse(leaf.validTo),
      fingerprint: leaf.fingerprint256,
    },
  };
}

/** CA certificates (a bundle) from a PEM file; an error text when it holds none. */
export function readCaBundle(file: string): { readonly pem: string } | { readonly error: string } {
  const text = readText(file);
  if (typeof text !== 'string') return text;
  try {
    new X509Certificate(text);
  } catch {
    return { error: `${file} holds no PEM certificate` };
  }
  return { pem: text };
}

function readText(file: string): string | { readonly error: string } {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { error: code === 'ENOENT' ? `${file} does not exist` : `${file} cannot be read (${code ?? (err as Error).message})` };
  }
}

/** The DNS names of a certificate: its subjectAltName entries, or its CN when it has none (as clients once did). */
export function namesOf(cert: X509Certificate): string[] {
  const alt = cert.subjectAltName;
  if (alt !== undefined) {
    return alt
      .split(/,\s*/)
      .filter((entry) => entry.startsWith('DNS:'))
      .map((entry) => entry.slice(4).toLowerCase());
  }
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
  return cn === undefined ? [] : [cn.toLowerCase()];
}
