// Edits of the shipped gateway.config.yaml for the bench. Each fails loudly when the file no longer has the shape it
// edits, rather than silently benchmarking something else.
import type { CertificateFiles } from './self-signed-certificate.js';

function edit(yaml: string, pattern: RegExp, replacement: string, what: string): string {
  const edited = yaml.replace(pattern, replacement);
  if (edited === yaml) throw new Error(`bench: gateway.config.yaml has changed shape, cannot ${what}; update bench/config-variants.ts`);
  return edited;
}

/**
 * Every request of the bench comes from 127.0.0.1 as one user, so the shipped budgets (ip: 100/s) would refuse
 * nearly all of it. Raised, all four dimensions are still checked and spent on every request: that is the cost
 * being measured.
 * @example raisedLimits('rateLimits:\n  ip: 100/s') // 'rateLimits:\n  ip: 1000000/s'
 */
export function raisedLimits(yaml: string): string {
  return edit(yaml, /^( +(?:global|route|ip|user): )\d+\/s$/gm, '$11000000/s', 'raise the rate limits');
}

/**
 * The verified-token cache off: every request verifies its token again, which shows what the cache saves.
 * @example withoutTokenCache('    secret: x') // '    secret: x\n    cacheSize: 0'
 */
export function withoutTokenCache(yaml: string): string {
  return edit(yaml, /^( +)(secret: .*)$/m, '$1$2\n$1cacheSize: 0', 'turn the token cache off');
}

/**
 * The bench's load generator, on 127.0.0.1, is the proxy in front of permgate: its X-Forwarded-For is believed, so
 * each bench user is its own client address for the per-IP budget.
 * @example trustLoopbackProxy('  trustProxy: []   # x') // '  trustProxy: [127.0.0.1]   # x'
 */
export function trustLoopbackProxy(yaml: string): string {
  return edit(yaml, /^( +trustProxy: )\[\]/m, '$1[127.0.0.1]', 'trust 127.0.0.1 as a proxy');
}

/**
 * Static RBAC bindings in the config's `rbac.subjects`, each subject to `role`. The gateway still reads each subject's
 * stored record (Redis, on a cache miss) before its first decision, as for any subject.
 * @example withSubjects('  subjects:\n    alice: {}', ['u1'], 'viewer') // '  subjects:\n    u1: { roles: [viewer] }\n    alice: {}'
 */
export function withSubjects(yaml: string, subjects: readonly string[], role: string): string {
  const lines = subjects.map((subject) => `    ${subject}: { roles: [${role}] }\n`).join('');
  return edit(yaml, /^( {2}subjects:\n)/m, `$1${lines}`, 'bind the bench subjects');
}

/** @example withWorkers('server:\n  listen: x', 2) // 'server:\n  workers: 2\n  listen: x' */
export function withWorkers(yaml: string, workers: number): string {
  return edit(yaml, /^(server:\n)/m, `$1  workers: ${workers}\n`, 'set server.workers');
}

/** @example withReusePort('server:\n  listen: x') // 'server:\n  reusePort: true\n  listen: x' */
export function withReusePort(yaml: string): string {
  return edit(yaml, /^(server:\n)/m, '$1  reusePort: true\n', 'set server.reusePort');
}

export type RedisTopology = { readonly cluster: readonly string[] } | { readonly sentinels: readonly string[]; readonly name: string };

/**
 * `store.redis` as a Sentinel group or a Cluster instead of the shipped `${REDIS_URL}`.
 * @example withRedisTopology('  redis: ${REDIS_URL:-}   # x', { cluster: ['127.0.0.1:7000'] }) // '  redis: { cluster: [127.0.0.1:7000] }   # x'
 */
export function withRedisTopology(yaml: string, topology: RedisTopology): string {
  const value = 'cluster' in topology ? `{ cluster: [${topology.cluster.join(', ')}] }` : `{ sentinels: [${topology.sentinels.join(', ')}], name: ${topology.name} }`;
  return edit(yaml, /^( +redis: )\$\{REDIS_URL:-\}/m, `$1${value}`, 'set store.redis');
}

/**
 * The data-plane listener terminates TLS with this certificate and offers h2 and http/1.1 by ALPN on the one port
 * (issue 13's list form of `server.listen`); host and port still come from the environment the bench sets.
 * @example withTlsListener('  listen: { host: h, port: p }', { cert: '/c.pem', key: '/k.pem' }) // '  listen:\n    - host: h\n      port: p\n      http2: true\n      tls:\n        certs:\n          - { cert: /c.pem, key: /k.pem }'
 */
export function withTlsListener(yaml: string, certificate: CertificateFiles): string {
  const listener = ['    - host: $1', '      port: $2', '      http2: true', '      tls:', '        certs:', `          - { cert: ${certificate.cert}, key: ${certificate.key} }`];
  return edit(yaml, /^ {2}listen: \{ host: ([^,]+), port: (\S+) \}$/m, `  listen:\n${listener.join('\n')}`, 'make the listener terminate TLS');
}
