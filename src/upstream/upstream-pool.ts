// One keep-alive connection pool per upstream, sized and timed by that upstream's config. Pools are carried over a
// reload (carried-over.ts) under a key of everything they are built from: an unchanged upstream keeps its warm
// connections; one whose origin, size or connect timeout changed gets a new pool, and the old one is closed once no
// request of an older config can still use it.
import { Pool } from 'undici';
import type { UpstreamConfig } from '../config/types.js';
import { configKey } from './carried-over.js';

export function poolKey(upstream: UpstreamConfig): string {
  return configKey({ origin: upstream.url.origin, connections: upstream.connections, connectTimeout: upstream.connectTimeout });
}

export function createPool(upstream: UpstreamConfig): Pool {
  return new Pool(upstream.url.origin, {
    connections: upstream.connections,
    pipelining: 1,
    keepAliveTimeout: 4_000,
    connect: { timeout: upstream.connectTimeout },
  });
}

/** Closes a pool no config uses any more: requests already sent on it finish first. */
export function retirePool(pool: Pool): void {
  pool.close().catch(() => {});
}
