// Reads an upstream's TLS files (CA bundle, client certificate, its key) when the config is loaded, and checks them as
// far as can be known without connecting: each file holds what it should, and the key belongs to the certificate.
// A bad file is then a config error naming it, not a 502 on the first request, and a reload reads renewed files.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

export type TlsFileKey = 'ca' | 'cert' | 'key';

/** Absolute paths of the files given; a key left out is not read. */
export type TlsFiles = Partial<Record<TlsFileKey, string>>;

/** What was read: certificates as PEM blocks only, the key as written. Present only for files that passed. */
export type TlsMaterial = Partial<Record<TlsFileKey, string>>;

/** One file that cannot be used. `message` names the file and never quotes its content. */
export interface TlsFileProblem {
  readonly key: TlsFileKey;
  readonly message: string;
  readonly hint?: string;
}

const CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function readTlsMaterial(files: TlsFiles): { material: TlsMaterial; problems: TlsFileProblem[] } {
  const material: TlsMaterial = {};
  const problems: TlsFileProblem[] = [];
  const fail = (key: TlsFileKey, message: string, hint?: string): undefined => void problems.push({ key, message, hint });

  const certificates = (key: 'ca' | 'cert', file: string): X509Certificate[] | undefined => {
    const text = readText(key, file, fail);
    if (text === undefined) return undefined;
    const blocks = text.match(CERTIFICATE) ?? [];
    if (blocks.length === 0) return fail(key, `${file} holds no PEM certificate`, 'expected -----BEGIN CERTIFICATE----- blocks');
    const parsed: X509Certificate[] = [];
    for (const [i, block] of blocks.entries()) {
      try {
        parsed.push(new X509Certificate(block));
      } catch {
        return fail(key, `certificate ${i + 1} in ${file} cannot be parsed`);
      }
    }
    // Only the certificates go on: a file that also holds a key (some tools write both) passes nothing else to TLS.
    material[key] = blocks.join('\n') + '\n';
    return parsed;
  };

  if (files.ca !== undefined) certificates('ca', files.ca);
  const chain = files.cert === undefined ? undefined : certificates('cert', files.cert);
  const privateKey = files.key === undefined ? undefined : readKey(files.key, fail);
  if (privateKey !== undefined) material.key = privateKey.pem;
  // The first certificate of the file is the one presented; the rest are its intermediates.
  if (chain !== undefined && privateKey !== undefined && !chain[0]!.checkPrivateKey(privateKey.object)) {
    delete material.key;
    fail('key', `the key in ${files.key!} does not belong to the certificate in ${files.cert!}`, 'give the key the certificate was issued for');
  }
  return { material, problems };
}

function readText(key: TlsFileKey, file: string, fail: (key: TlsFileKey, message: string, hint?: string) => undefined): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    return fail(key, `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function readKey(file: string, fail: (key: TlsFileKey, message: string, hint?: string) => undefined): { pem: string; object: KeyObject } | undefined {
  const pem = readText('key', file, fail);
  if (pem === undefined) return undefined;
  // The gateway starts and reloads unattended: there is nobody to ask for a passphrase.
  if (pem.includes('ENCRYPTED')) return fail('key', `the key in ${file} is encrypted`, 'store it unencrypted with tight file permissions: openssl pkey -in key.pem -out key.pem');
  try {
    return { pem, object: createPrivateKey(pem) };
  } catch {
    // OpenSSL's reason is not repeated: it is about the content, which stays out of messages.
    return fail('key', `${file} is not a PEM private key`, 'expected -----BEGIN PRIVATE KEY----- (or RSA/EC PRIVATE KEY)');
  }
}
