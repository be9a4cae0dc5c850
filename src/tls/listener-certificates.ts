// The certificates of one TLS listener: a SecureContext per certificate, chosen by the client's SNI, replaced in
// place when the files change (a renewal by certbot or cert-manager) or on reload, without closing a connection. A
// renewal that does not read (a key written after its certificate, a broken file) keeps the certificates in force.
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';
import { watchFile, unwatchFile } from 'node:fs';
import type { ListenerTlsConfig } from '../config/listen-types.js';
import { readCaBundle, readCertificatePair, type CertificatePair, type CertificateProblem } from './certificate-files.js';

/** What the expiry metric shows of a certificate in force. */
export interface ServedCertificate {
  readonly certFile: string;
  readonly names: readonly string[];
  /** Milliseconds since the epoch. */
  readonly validTo: number;
}

interface Loaded {
  readonly pairs: readonly CertificatePair[];
  readonly contexts: readonly SecureContext[];
  readonly base: SecureContextOptions;
}

export class ListenerCertificates {
  #tls: ListenerTlsConfig;
  #loaded: Loaded;
  /** Called with the options of the default context (no SNI, or no name matched) whenever it changes. */
  #onDefault: ((options: SecureContextOptions) => void) | undefined;
  #watched: string[] = [];
  #pending: NodeJS.Timeout | undefined;

  /** Throws when a file does not read: the config check read the same files a moment ago, so that is a race. */
  constructor(tls: ListenerTlsConfig) {
    this.#tls = tls;
    const loaded = load(tls);
    if ('problems' in loaded) throw new Error(loaded.problems.map((p) => p.message).join('; '));
    this.#loaded = loaded;
  }

  /** Options for creating the server: the default certificate, versions, ciphers, client verification and SNI. */
  serverOptions(): SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean; SNICallback: (name: string, cb: (err: Error | null, ctx?: SecureContext) => void) => void } {
    return {
      ...this.#defaultOptions(),
      requestCert: this.#tls.clientCaFile !== undefined,
      rejectUnauthorized: this.#tls.clientCaFile !== undefined,
      SNICallback: (name, cb) => cb(null, this.contextFor(name)),
    };
  }

  /** The context for an SNI name: an exact name, then a wildcard of its parent, then the first certificate. */
  contextFor(servername: string): SecureContext {
    const name = servername.toLowerCase();
    const { pairs, contexts } = this.#loaded;
    const dot = name.indexOf('.');
    const wildcard = dot > 0 ? `*${name.slice(dot)}` : undefined;
    let fallback: SecureContext | undefined;
    for (let i = 0; i < pairs.length; i++) {
      const names = pairs[i]!.names;
      if (names.includes(name)) return contexts[i]!;
      if (fallback === undefined && wildcard !== undefined && names.includes(wildcard)) fallback = contexts[i];
    }
    return fallback ?? contexts[0]!;
  }

  served(): ServedCertificate[] {
    return this.#loaded.pairs.map((pair) => ({ certFile: pair.certFile, names: pair.names, validTo: pair.validTo }));
  }

  /**
   * Reads the files again (a reload passes the new config's `tls`) and swaps them in; on a problem nothing changes
   * and the problems are returned.
   */
  reload(tls: ListenerTlsConfig = this.#tls): CertificateProblem[] {
    const loaded = load(tls);
    if ('problems' in loaded) return loaded.problems;
    const filesChanged = fileList(tls).join('\n') !== fileList(this.#tls).join('\n');
    this.#tls = tls;
    this.#loaded = loaded;
    this.#onDefault?.(this.#defaultOptions());
    if (filesChanged && this.#watched.length > 0) this.watch(this.#watchedCallback!);
    return [];
  }

  /** `setDefault` receives the default context's options on every swap (the server's setSecureContext). */
  onDefaultChange(setDefault: (options: SecureContextOptions) => void): void {
    this.#onDefault = setDefault;
  }

  #watchedCallback: ((problems: CertificateProblem[], changed: boolean) => void) | undefined;

  /**
   * Polls the files (stat every `interval` ms, which follows the symlinks certbot and Kubernetes secrets swap) and
   * reloads once they have been quiet for a moment, so a certificate and key written one after the other are read
   * together. `done` hears each attempt.
   */
  watch(done: (problems: CertificateProblem[], changed: boolean) => void, interval = 2_000): void {
    this.unwatch();
    this.#watchedCallback = done;
    this.#watched = fileList(this.#tls);
    const changed = (): void => {
      clearTimeout(this.#pending);
      this.#pending = setTimeout(() => {
        const before = this.#loaded.pairs.map((p) => p.fingerprint).join();
        const problems = this.reload();
        done(problems, problems.length === 0 && this.#loaded.pairs.map((p) => p.fingerprint).join() !== before);
      }, 250);
      this.#pending.unref();
    };
    for (const file of this.#watched) watchFile(file, { interval, persistent: false }, changed);
  }

  unwatch(): void {
    clearTimeout(this.#pending);
    for (const file of this.#watched) unwatchFile(file);
    this.#watched = [];
  }

  #defaultOptions(): SecureContextOptions {
    const first = this.#loaded.pairs[0]!;
    return { ...this.#loaded.base, cert: first.cert, key: first.key };
  }
}

function fileList(tls: ListenerTlsConfig): string[] {
  return [...tls.certs.flatMap((c) => [c.certFile, c.keyFile]), ...(tls.clientCaFile ? [tls.clientCaFile] : [])];
}

function load(tls: ListenerTlsConfig): Loaded | { problems: CertificateProblem[] } {
  const problems: CertificateProblem[] = [];
  const pairs: CertificatePair[] = [];
  for (const files of tls.certs) {
    const read = readCertificatePair(files.certFile, files.keyFile);
    if ('problem' in read) problems.push(read.problem);
    else pairs.push(read.pair);
  }
  let ca: string | undefined;
  if (tls.clientCaFile !== undefined) {
    const bundle = readCaBundle(tls.clientCaFile);
    if ('error' in bundle) problems.push({ file: 'cert', path: tls.clientCaFile, message: bundle.error });
    else ca = bundle.pem;
  }
  if (problems.length > 0) return { problems };
  // The client CA sits in every context: the one SNI picks is the one that verifies the client's certificate.
  const base: SecureContextOptions = { minVersion: tls.minVersion, ciphers: tls.ciphers, honorCipherOrder: true, ...(ca === undefined ? {} : { ca }) };
  return { pairs, contexts: pairs.map((pair) => createSecureContext({ ...base, cert: pair.cert, key: pair.key })), base };
}
