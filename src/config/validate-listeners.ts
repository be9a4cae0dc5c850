// `server.listen`: one listener or a list, each plain, a redirect to HTTPS, or TLS (with HTTP/2 if asked). The
// certificate files are read and checked here, so a bad certificate or key is a config error naming the file, and
// a reload with one changes nothing.
import { dirname, resolve } from 'node:path';
import { readCaBundle, readCertificatePair } from '../tls/certificate-files.js';
import type { Checker, KeyPath } from './checker.js';
import type { CertificateFiles, DataListenerConfig, ListenerTlsConfig } from './listen-types.js';
import type { ServerDocument } from './schema/server-schema.js';

type ListenDocument = NonNullable<ServerDocument['listen']>;
type ListenerDocument = Extract<ListenDocument, { host?: unknown }>;

export function checkListeners(c: Checker, listen: ListenDocument, configFile: string): DataListenerConfig[] {
  const base: KeyPath = ['server', 'listen'];
  const entries: [ListenerDocument, KeyPath][] = Array.isArray(listen) ? listen.map((entry, i) => [entry, [...base, i]]) : [[listen as ListenerDocument, base]];
  const listeners = entries.map(([doc, path]) => checkListener(c, doc, path, configFile));
  const seen = new Map<string, number>();
  listeners.forEach((listener, i) => {
    if (listener.port === 0) return;
    const where = `${listener.host}:${listener.port}`;
    if (seen.has(where)) c.fail(entries[i]![1], `listens on ${where}, as listener ${seen.get(where)} does`, 'each listener needs its own address and port');
    else seen.set(where, i);
  });
  listeners.forEach((listener, i) => {
    if (listener.redirect === 'https' && !listeners.some((other) => other.tls !== undefined)) {
      c.fail([...entries[i]![1], 'redirect'], 'redirects to HTTPS, but no listener has tls', 'add a listener with tls, or remove redirect');
    }
  });
  return listeners;
}

function checkListener(c: Checker, doc: ListenerDocument, path: KeyPath, configFile: string): DataListenerConfig {
  const tls = doc.tls === undefined ? undefined : checkTls(c, doc.tls, [...path, 'tls'], configFile);
  if (doc.http2 === true && doc.tls === undefined) c.fail([...path, 'http2'], 'HTTP/2 needs tls on the same listener', 'cleartext HTTP/2 (h2c) is not served: add tls');
  if (doc.redirect !== undefined && doc.tls !== undefined) c.fail([...path, 'redirect'], 'a TLS listener cannot redirect to HTTPS', 'redirect belongs on the plain listener');
  return {
    host: doc.host!,
    port: doc.port!,
    tls,
    http2: doc.http2 === true,
    h2: { maxConcurrentStreams: doc.h2!.maxConcurrentStreams!, resetsPerSecond: doc.h2!.resetsPerSecond! },
    redirect: doc.redirect,
  };
}

export function checkTls(c: Checker, doc: NonNullable<ListenerDocument['tls']>, path: KeyPath, configFile: string): ListenerTlsConfig {
  const dir = dirname(configFile);
  const certs: CertificateFiles[] = [];
  doc.certs.forEach((entry, i) => {
    const files = { certFile: resolve(dir, entry.cert), keyFile: resolve(dir, entry.key) };
    const read = readCertificatePair(files.certFile, files.keyFile);
    if ('problem' in read) c.fail([...path, 'certs', i, read.problem.file], read.problem.message, 'a PEM certificate (with its chain) and its unencrypted PEM key');
    certs.push(files);
  });
  let clientCaFile: string | undefined;
  if (doc.clientCa !== undefined) {
    clientCaFile = resolve(dir, doc.clientCa);
    const ca = readCaBundle(clientCaFile);
    if ('error' in ca) c.fail([...path, 'clientCa'], ca.error, 'a PEM file of the CA certificates client certificates chain to');
  }
  if (doc.clientSubject === true && doc.clientCa === undefined) c.fail([...path, 'clientSubject'], 'needs clientCa: only a verified client certificate can name a caller');
  return { certs, minVersion: doc.minVersion!, ciphers: doc.ciphers!, clientCaFile, clientSubject: doc.clientSubject === true };
}
