// Certificates made at test time with openssl (P-256 keys, valid for a day) in a temp dir removed when the test ends.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';

/** Paths of one certificate and its key. */
export interface Issued {
  readonly cert: string;
  readonly key: string;
}

export interface CertificateMaker {
  readonly dir: string;
  /** A self-signed CA. */
  ca(name: string): Issued;
  /** A certificate signed by `ca`: for a server (`dns`: its names) or for a client (`client: true`). */
  issue(name: string, ca: Issued, options: { readonly dns?: readonly string[]; readonly client?: boolean }): Issued;
}

const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1'];

export function certificateMaker(t: Test): CertificateMaker {
  const dir = mkdtempSync(join(tmpdir(), 'permgate-certs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const openssl = (args: string[]): void => void execFileSync('openssl', args, { stdio: 'pipe' });
  return {
    dir,
    ca(name) {
      const out = { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
      openssl(['req', '-x509', ...NEW_KEY, '-keyout', out.key, '-out', out.cert, '-subj', `/CN=${name}`,
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
      return out;
    },
    issue(name, ca, { dns = [], client = false }) {
      const out = { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
      const extensions = client ? ['-addext', 'extendedKeyUsage=clientAuth'] : ['-addext', `subjectAltName=${dns.map((d) => `DNS:${d}`).join(',')}`, '-addext', 'extendedKeyUsage=serverAuth'];
      openssl(['req', '-x509', ...NEW_KEY, '-keyout', out.key, '-out', out.cert, '-subj', `/CN=${name}`, '-CA', ca.cert, '-CAkey', ca.key,
        '-addext', 'basicConstraints=CA:FALSE', ...extensions]);
      return out;
    },
  };
}
