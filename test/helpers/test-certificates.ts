// Certificates made at test time with openssl: a CA, server certificates for given names, client certificates, all
// in a temp dir removed when the test ends.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';

export interface CertificateFilesForTest {
  readonly cert: string;
  readonly key: string;
}

export interface TestAuthority {
  readonly dir: string;
  /** The CA certificate (PEM file). */
  readonly caFile: string;
  readonly caPem: string;
  /** A server certificate for these DNS names (the first is the CN), valid `days` days. */
  server(names: readonly string[], options?: { readonly days?: number; readonly file?: string }): CertificateFilesForTest;
  /** A client certificate with this CN. */
  client(commonName: string): CertificateFilesForTest;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

export function makeAuthority(t: Test, name = 'permgate test CA'): TestAuthority {
  const dir = mkdtempSync(join(tmpdir(), 'permgate-certs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ecKey, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30', '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign'], dir);
  let serial = 1;
  function sign(base: string, subject: string, ext: string, days: number): CertificateFilesForTest {
    openssl(['req', '-new', ...ecKey, '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', subject], dir);
    writeFileSync(join(dir, `${base}.ext`), ext);
    openssl(['x509', '-req', '-in', `${base}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', String(++serial), '-days', String(days), '-extfile', `${base}.ext`, '-out', `${base}.pem`], dir);
    return { cert: join(dir, `${base}.pem`), key: join(dir, `${base}.key`) };
  }
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    server(names, { days = 30, file } = {}) {
      const base = file ?? `server-${serial + 1}`;
      return sign(base, `/CN=${names[0]}`, `subjectAltName=${names.map((n) => (/^[\d.]+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',')}\nextendedKeyUsage=serverAuth\n`, days);
    },
    client(commonName) {
      return sign(`client-${serial + 1}`, `/CN=${commonName}`, 'extendedKeyUsage=clientAuth\n', 30);
    },
  };
}

/** A CA and a certificate for `api.test` and `localhost`, with `tls` the listener's `tls:` value for it (flow YAML). */
export function siteCertificate(t: Test): { readonly ca: TestAuthority; readonly tls: string } {
  const ca = makeAuthority(t);
  const site = ca.server(['api.test', 'localhost']);
  return { ca, tls: `{ certs: [{ cert: ${site.cert}, key: ${site.key} }] }` };
}
