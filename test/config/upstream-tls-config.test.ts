// `upstreams.<name>.tls` is checked at load (issue 13): its files are resolved against the config file's directory
// and read then; a file that is missing, unreadable or not what its key says, a key that does not belong to its
// certificate, or TLS on an http:// upstream is a config error naming the file and the key path, never the content.
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError, type ConfigIssue } from '../../src/config/config-error.js';
import { parseConfig } from '../../src/config/load.js';
import { poolKey } from '../../src/upstream/upstream-pool.js';
import { certificateMaker } from '../helpers/certificate-maker.js';

const maker = certificateMaker(t);
const ca = maker.ca('upstream-ca');
const client = maker.issue('client', ca, { client: true });
const stranger = maker.issue('stranger', ca, { client: true });
const file = join(maker.dir, 'gw.yaml');

function config(upstream: string): string {
  return `upstreams:\n  billing: { url: "https://billing.internal:8443", ${upstream} }\nroutes:\n  - { path: /b/**, upstream: billing, auth: none }\n`;
}

function issuesOf(upstream: string, url = 'https://billing.internal:8443'): ConfigIssue[] {
  try {
    parseConfig(config(upstream).replace('https://billing.internal:8443', url), file, {});
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
  throw new Error('expected a ConfigError');
}

t.test('relative files are read from the config file\'s directory; the server name defaults to the URL\'s host', async (t) => {
  const { config: loaded } = parseConfig(config('tls: { ca: upstream-ca.pem, cert: client.pem, key: client.key }'), file, {});
  const tls = loaded.upstreams.get('billing')!.tls!;
  t.match(tls, { ca: /^-----BEGIN CERTIFICATE-----/, cert: /^-----BEGIN CERTIFICATE-----/, key: /PRIVATE KEY/, serverName: 'billing.internal', verify: true });
  const plain = parseConfig(config('timeout: 5s'), file, {}).config.upstreams.get('billing')!;
  t.match(plain.tls, { ca: undefined, cert: undefined, serverName: 'billing.internal', verify: true }, 'an https upstream without tls verifies against Node\'s roots');
});

t.test('tls on an http:// upstream is refused, naming the key', async (t) => {
  const issues = issuesOf('tls: { ca: upstream-ca.pem }', 'http://127.0.0.1:9');
  t.match(issues, [{ keyPath: 'upstreams.billing.tls', message: /need an https:\/\/ upstream URL/, location: { file, line: 2 } }]);
});

t.test('a missing file names the file and the key path', async (t) => {
  const issues = issuesOf('tls: { ca: nowhere/ca.pem }');
  t.match(issues, [{ keyPath: 'upstreams.billing.tls.ca', message: `cannot read ${join(maker.dir, 'nowhere/ca.pem')}: ENOENT` }]);
});

t.test('a file that holds no certificate, or a key file that holds no key, is refused naming it', async (t) => {
  writeFileSync(join(maker.dir, 'garbage.pem'), 'not a certificate\n');
  writeFileSync(join(maker.dir, 'broken.key'), '-----BEGIN PRIVATE KEY-----\nAAAAsecretish\n-----END PRIVATE KEY-----\n');
  const issues = issuesOf('tls: { ca: garbage.pem, cert: client.pem, key: broken.key }');
  t.match(issues.find((i) => i.keyPath === 'upstreams.billing.tls.ca'), { message: `${join(maker.dir, 'garbage.pem')} holds no PEM certificate` });
  t.match(issues.find((i) => i.keyPath === 'upstreams.billing.tls.key'), { message: `${join(maker.dir, 'broken.key')} is not a PEM private key` });
  t.notMatch(JSON.stringify(issues), /secretish/, 'the content is never quoted');
  const swapped = issuesOf('tls: { cert: client.key, key: client.pem }');
  t.match(swapped.find((i) => i.keyPath === 'upstreams.billing.tls.cert'), { message: /client\.key holds no PEM certificate/ });
  t.match(swapped.find((i) => i.keyPath === 'upstreams.billing.tls.key'), { message: /client\.pem is not a PEM private key/ });
});

t.test('a key that does not belong to its certificate names both files', async (t) => {
  const issues = issuesOf('tls: { cert: client.pem, key: stranger.key }');
  t.match(issues, [{ keyPath: 'upstreams.billing.tls.key', message: `the key in ${stranger.key} does not belong to the certificate in ${client.cert}` }]);
  t.notMatch(JSON.stringify(issues), /PRIVATE KEY/);
});

t.test('a certificate without its key, an encrypted key, a CA with verify: false and a serverName that is not a name are refused', async (t) => {
  t.match(issuesOf('tls: { cert: client.pem }'), [{ keyPath: 'upstreams.billing.tls.cert', message: 'a client certificate needs both cert and key' }]);
  writeFileSync(join(maker.dir, 'encrypted.key'), '-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n');
  t.match(issuesOf('tls: { cert: client.pem, key: encrypted.key }'), [{ keyPath: 'upstreams.billing.tls.key', message: /is encrypted/ }]);
  t.match(issuesOf('tls: { ca: upstream-ca.pem, verify: false }'), [{ keyPath: 'upstreams.billing.tls.ca', message: 'has no effect with verify: false' }]);
  t.match(issuesOf('tls: { serverName: "not a name" }'), [{ keyPath: 'upstreams.billing.tls.serverName', message: /expected a DNS name/ }]);
  t.match(issuesOf('tls: { serverName: 10.0.0.7 }'), [{ keyPath: 'upstreams.billing.tls.serverName', message: /is an IP address/ }]);
  t.equal(parseConfig(config('timeout: 5s').replace('billing.internal:8443', '[::1]:8443'), file, {}).config.upstreams.get('billing')!.tls!.serverName, undefined, 'an IPv6 address gets no server name');
});

t.test('the pool key follows the TLS material: a renewed certificate file gives a new key on the next load', async (t) => {
  const text = config('tls: { ca: upstream-ca.pem, cert: current.pem, key: current.key }');
  copyFileSync(client.cert, join(maker.dir, 'current.pem'));
  copyFileSync(client.key, join(maker.dir, 'current.key'));
  const before = poolKey(parseConfig(text, file, {}).config.upstreams.get('billing')!);
  t.equal(poolKey(parseConfig(text, file, {}).config.upstreams.get('billing')!), before, 'unchanged files: the same pool');
  copyFileSync(stranger.cert, join(maker.dir, 'current.pem'));
  copyFileSync(stranger.key, join(maker.dir, 'current.key'));
  const after = poolKey(parseConfig(text, file, {}).config.upstreams.get('billing')!);
  t.not(after, before, 'renewed files: a new pool');
  t.notMatch(after, /PRIVATE|BEGIN/, 'the key holds a digest, not the material');
});
