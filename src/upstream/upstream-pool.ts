// One keep-alive connection pool per upstream, sized and timed by that upstream's config. Pools are carried over a
// reload (carried-over.ts) under a key of everything they are built from: an unchanged upstream keeps its warm
// connections; one whose origin, size, connect timeout or TLS material changed gets a new pool, and the old one is
// closed once no request of an older config can still use it.
import { buildConnector, Pool } from 'undici';
import type { UpstreamConfig } from '../config/types.js';
import type { UpstreamTls } from '../config/upstream-tls-types.js';
import { configKey } from './carried-over.js';

export function poolKey(upstream: UpstreamConfig): string {
  return configKey({ origin: upstream.url.origin, connections: upstream.connections, connectTimeout: upstream.connectTimeout, tls: upstream.tls?.digest });
}

export function createPool(upstream: UpstreamConfig): Pool {
  return new Pool(upstream.url.origin, {
    connections: upstream.connections,
    pipelining: 1,
    keepAliveTimeout: 4_000,
    connect: upstream.tls === undefined ? { timeout: upstream.connectTimeout } : tlsConnector(upstream.connectTimeout, upstream.tls),
  });
}

/**
 * Connects with the upstream's own TLS settings. undici would otherwise take the server name from each request's Host
 * header, ahead of the one configured; under `preserveHost` that is the client's Host, which must not choose the SNI
 * (a backend virtual host) nor the name the certificate is checked against. So the name is fixed here, per upstream.
 */
function tlsConnector(timeout: number, tls: UpstreamTls): buildConnector.connector {
  const connect = buildConnector({
    timeout,
    ca: tls.ca,
    cert: tls.cert,
    key: tls.key,
    rejectUnauthorized: tls.verify,
    ...(tls.serverName === undefined ? {} : { servername: tls.serverName }),
  });
  return (options, callback) => connect({ ...options, servername: tls.serverName }, callback);
}

/**
 * The server name a request to this upstream names. undici closes a pooled connection whenever it changes from one
 * request to the next; a constant keeps the pool warm whatever the Host header says (the connector decides the
 * name actually used).
 */
export function requestServerName(upstream: UpstreamConfig): string | undefined {
  return upstream.tls === undefined ? undefined : (upstream.tls.serverName ?? upstream.url.hostname);
}

/** Closes a pool no config uses any more: requests already sent on it finish first. */
export function retirePool(pool: Pool): void {
  pool.close().catch(() => {});
}
