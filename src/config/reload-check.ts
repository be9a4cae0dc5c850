// What a reload cannot change: the listeners (their certificates can) and how they are opened (reusePort), the
// header-size limit the HTTP parser was created with, and the shared store and its sync intervals. A new config that
// changes them is refused (the old one stays), naming each.
import { createHash } from 'node:crypto';
import type { ConfigIssue } from './config-error.js';
import type { LoadedConfig } from './load.js';
import type { GatewayConfig } from './types.js';

type KeyPath = (string | number)[];

/** A listener as one comparable value: `host:port`, or undefined when it is off. */
const listenerText = (listener: { host: string; port: number } | undefined): string | undefined =>
  listener === undefined ? undefined : `${listener.host}:${listener.port}`;

/**
 * The listeners as one comparable value: their addresses and what each speaks. Certificates, TLS versions, ciphers,
 * the client CA and HTTP/2 limits are not in it: a reload applies them to the open listeners.
 */
function listenersText(listeners: GatewayConfig['server']['listeners']): string {
  return listeners
    .map((l) => `${l.host}:${l.port}${l.tls ? ' tls' : ''}${l.http2 ? ' h2' : ''}${l.redirect ? ` redirect ${l.redirect}` : ''}${l.tls?.clientCaFile ? ' mtls' : ''}`)
    .join(', ');
}

/** One listener on both sides (the usual case): its host and port are named as keys; otherwise the whole list. */
function listenerChecks(was: GatewayConfig['server']['listeners'], is: GatewayConfig['server']['listeners']): [KeyPath, unknown, unknown][] {
  if (was.length !== 1 || is.length !== 1) return [[['server', 'listen'], listenersText(was), listenersText(is)]];
  const [a, b] = [was[0]!, is[0]!];
  return [
    [['server', 'listen', 'host'], a.host, b.host],
    [['server', 'listen', 'port'], a.port, b.port],
    [['server', 'listen'], listenersText([{ ...a, host: '', port: 0 }]), listenersText([{ ...b, host: '', port: 0 }])],
  ];
}

/** A short digest of a setting that must not be shown (it may hold credentials); undefined when unset. */
function fingerprint(value: object | undefined): string | undefined {
  return value === undefined ? undefined : `sha256:${createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 12)}`;
}

export function restartOnlyChanges(current: GatewayConfig, next: LoadedConfig): ConfigIssue[] {
  const n = next.config;
  const checks: [KeyPath, unknown, unknown][] = [
    ...listenerChecks(current.server.listeners, n.server.listeners),
    [['server', 'admin', 'host'], current.server.admin.host, n.server.admin.host],
    [['server', 'admin', 'port'], current.server.admin.port, n.server.admin.port],
    [['server', 'admin', 'tls'], JSON.stringify(current.server.admin.tls ?? null), JSON.stringify(n.server.admin.tls ?? null)],
    [['server', 'status'], listenerText(current.server.status), listenerText(n.server.status)],
    [['server', 'limits', 'headerSize'], current.server.limits.headerSize, n.server.limits.headerSize],
    [['server', 'workers'], current.server.workers, n.server.workers],
    // Who owns the listening socket (the primary, or each worker its own) is settled when the listeners open.
    [['server', 'reusePort'], current.server.reusePort, n.server.reusePort],
    [['store', 'redis'], ...redisTexts(current.store.redis, n.store.redis)],
    [['store', 'commandTimeout'], current.store.commandTimeout, n.store.commandTimeout],
    [['store', 'path'], current.store.path, n.store.path],
    [['store', 'audit'], `${current.store.audit.changes}/${current.store.audit.denials}`, `${n.store.audit.changes}/${n.store.audit.denials}`],
    [['auth', 'revocation', 'syncInterval'], current.auth?.revocation.syncInterval, n.auth?.revocation.syncInterval ?? current.auth?.revocation.syncInterval],
    [['rbac', 'syncInterval'], current.rbac.syncInterval, n.rbac.syncInterval],
    [['rbac', 'cache'], `${current.rbac.cacheSize}`, `${n.rbac.cacheSize}`],
    // The SQL source's pool, listener and queries are opened and checked once; its URL may hold a password, so the
    // message shows a fingerprint, never the settings.
    [['rbac', 'source', 'sql'], fingerprint(current.rbac.source?.sql), fingerprint(n.rbac.source?.sql)],
  ];
  return checks
    .filter(([, was, is]) => was !== is)
    .map(([path, was, is]) => ({
      location: next.locate(path),
      keyPath: path.join('.'),
      message: `changed from ${JSON.stringify(was) ?? 'unset'} to ${JSON.stringify(is) ?? 'unset'}, which only a restart can apply`,
      hint: 'restart the gateway, or put the old value back to reload the rest',
    }));
}

/**
 * `store.redis` as two comparable texts without credentials (issue 12: it may be an object with passwords): equal when
 * nothing changed; a changed password alone is named as such, never shown.
 */
function redisTexts(was: GatewayConfig['store']['redis'], is: GatewayConfig['store']['redis']): [string | undefined, string | undefined] {
  if (JSON.stringify(was) === JSON.stringify(is)) return [JSON.stringify(was), JSON.stringify(is)];
  const [a, b] = [redacted(was), redacted(is)];
  return a === b ? [`${a} (old password)`, `${b} (new password)`] : [a, b];
}

function redacted(redis: GatewayConfig['store']['redis']): string | undefined {
  if (redis === undefined) return undefined;
  if (typeof redis === 'string') {
    const url = URL.parse(redis);
    if (url?.password) url.password = '***';
    return url ? url.href : redis;
  }
  return JSON.stringify({ ...redis, ...(redis.password === undefined ? {} : { password: '***' }), ...('sentinelPassword' in redis && redis.sentinelPassword !== undefined ? { sentinelPassword: '***' } : {}) });
}
