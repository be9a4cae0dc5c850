// The `tracing` section: absent means off; its defaults (sample everything, follow the caller's sampled flag,
// service.name permgate, a 10 s export timeout); mistakes refused with file:line:key; ${VAR} for a ratio or a secret.
import t from 'tap';
import { parseConfig } from '../../src/config/load.js';

const load = (tracing: string, env: Record<string, string> = {}) =>
  parseConfig(`upstreams: { svc: { url: "http://127.0.0.1:1" } }\nroutes:\n  - { path: /a/**, upstream: svc, auth: none }\n${tracing}\n`, 'gateway.yaml', env).config.tracing;

t.test('no tracing section: tracing is off', async (t) => {
  t.equal(load(''), undefined);
});

t.test('defaults: every new trace sampled, the caller\'s flag followed, service.name permgate, 10 s per export', async (t) => {
  t.same(load('tracing: { otlp: { url: "http://collector:4318/v1/traces" } }'), {
    otlp: { url: 'http://collector:4318/v1/traces', headers: {}, timeout: 10_000 },
    sampling: 1,
    incomingSampled: 'follow',
    serviceName: 'permgate',
  });
});

t.test('every key set, a ratio and a secret header from the environment', async (t) => {
  const tracing = load('tracing:\n  otlp: { url: "https://otlp.example:4318/v1/traces", headers: { X-Api-Key: "${KEY}" }, timeout: 2s }\n  sampling: ${RATIO}\n  incomingSampled: ratio\n  serviceName: edge-eu', { KEY: 'k-1', RATIO: '0.25' });
  t.same(tracing, { otlp: { url: 'https://otlp.example:4318/v1/traces', headers: { 'x-api-key': 'k-1' }, timeout: 2000 }, sampling: 0.25, incomingSampled: 'ratio', serviceName: 'edge-eu' });
});

t.test('mistakes are refused, naming the key', async (t) => {
  t.throws(() => load('tracing: { sampling: 0.5 }'), { message: /tracing\.otlp/ }, 'no endpoint');
  t.throws(() => load('tracing: { otlp: { url: "collector:4318" } }'), { message: /gateway\.yaml:\d+:\d+: tracing\.otlp\.url: expected an http:\/\/ or https:\/\/ URL/ });
  t.throws(() => load('tracing: { otlp: { url: "http://c/v1/traces" }, sampling: 1.5 }'), { message: /tracing\.sampling/ });
  t.throws(() => load('tracing: { otlp: { url: "http://c/v1/traces" }, sampling: -0.1 }'), { message: /tracing\.sampling/ });
  t.throws(() => load('tracing: { otlp: { url: "http://c/v1/traces" }, incomingSampled: always }'), { message: /tracing\.incomingSampled/ });
  t.throws(() => load('tracing: { otlp: { url: "http://c/v1/traces", header: {} } }'), { message: /tracing\.otlp\.header: unknown key/ });
  t.throws(() => load('tracing: { otlp: { url: "http://c/v1/traces", headers: { "bad name": x } } }'), { message: /tracing\.otlp\.headers\.bad name: not a valid header name/ });
  t.throws(() => load('tracing: { otlp: { url: "http://c/v1/traces", headers: { x-key: "${KEY}" } } }', { KEY: 'a\r\nInjected: 1' }), { message: /control characters/ });
});
