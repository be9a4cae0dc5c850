// One keep-alive connection pool per upstream, sized and timed by that upstream's config.
import { Agent, Pool, type Dispatcher } from 'undici';
import type { UpstreamConfig } from '../config/types.js';

/** An undici dispatcher that gives each configured upstream origin its own pool and settings. */
export function createUpstreamDispatcher(upstreams: Iterable<UpstreamConfig>): Dispatcher {
  const byOrigin = new Map<string, UpstreamConfig>();
  for (const upstream of upstreams) byOrigin.set(upstream.url.origin, upstream);
  return new Agent({
    factory(origin, options) {
      const upstream = byOrigin.get(String(origin));
      return new Pool(origin, {
        ...options,
        connections: upstream?.connections ?? 16,
        pipelining: 1,
        keepAliveTimeout: 4_000,
        connect: { timeout: upstream?.connectTimeout ?? 5_000 },
      });
    },
  });
}
