// Checks `upstreams.<name>.tls` beyond its schema (schema/route-schema.ts): only on https:// upstreams, a client
// certificate with its key, files resolved against the config file's directory and read now (upstream/upstream-tls.ts).
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { dirname, resolve } from 'node:path';
import { readTlsMaterial, type TlsFileKey, type TlsFiles } from '../upstream/upstream-tls.js';
import { isPlain, type Checker, type KeyPath } from './checker.js';
import type { UpstreamTls } from './upstream-tls-types.js';

const FILE_KEYS: readonly TlsFileKey[] = ['ca', 'cert', 'key'];

/**
 * The TLS settings of an https:// upstream (its `tls`, or the defaults when there is none); undefined for an http://
 * upstream, or when a problem was reported. `tls` is the value the schema accepted.
 */
export function checkUpstreamTls(c: Checker, path: KeyPath, url: URL, tls: unknown, configFile: string): UpstreamTls | undefined {
  const at = [...path, 'tls'];
  if (url.protocol !== 'https:') {
    if (tls !== undefined) c.fail(at, 'TLS settings need an https:// upstream URL', 'use https:// in url, or remove tls');
    return undefined;
  }
  const given = isPlain(tls) ? tls : {};
  const verify = given.verify !== false;
  const files: TlsFiles = {};
  for (const key of FILE_KEYS) if (typeof given[key] === 'string') files[key] = resolve(dirname(configFile), given[key]);
  let ok = true;
  const fail = (key: string, message: string, hint?: string): void => {
    ok = false;
    c.fail([...at, key], message, hint);
  };
  if ((files.cert === undefined) !== (files.key === undefined)) {
    fail(files.cert === undefined ? 'key' : 'cert', 'a client certificate needs both cert and key');
  }
  // A CA only matters to verification: with it off, the file would look as if it protected something.
  if (!verify && files.ca !== undefined) fail('ca', 'has no effect with verify: false', 'remove verify: false to check the upstream against this CA');
  // SNI carries host names only (RFC 6066 §3); an address is checked by leaving the name out of an IP-addressed URL.
  if (typeof given.serverName === 'string' && isIP(given.serverName) !== 0) fail('serverName', 'is an IP address; SNI carries names only', 'leave it out to check the certificate against the URL\'s IP address');
  const { material, problems } = readTlsMaterial(files);
  for (const problem of problems) fail(problem.key, problem.message, problem.hint);
  if (!ok) return undefined;
  // WHATWG URL keeps an IPv6 host in brackets; an address, v4 or v6, gets no SNI and is checked as an address.
  const urlHostIsName = isIP(url.hostname.replace(/^\[|\]$/g, '')) === 0;
  const serverName = typeof given.serverName === 'string' ? given.serverName : urlHostIsName ? url.hostname : undefined;
  const settings = { ca: material.ca, cert: material.cert, key: material.key, serverName, verify };
  // The pool key holds this digest, not the material: a changed file means new connections, and no key in a map.
  const digest = createHash('sha256').update(JSON.stringify(settings)).digest('base64url');
  return { ...settings, digest };
}
