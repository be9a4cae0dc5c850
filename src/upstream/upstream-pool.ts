// One keep-alive connection pool per upstream origin, sized and timed by that upstream's config. The dispatcher lives
// as long as the process: a reload updates the settings new pools are made with, and pools of unchanged upstreams
// keep their connections.
import { Agent, Pool, type Dispatcher } from 'undici';
import type { UpstreamConfig } from '../config/types.js';

export interface UpstreamDispatcher {
  readonly dispatcher: Dispatcher;
  /** The upstreams of a newly loaded config. */
  update(upstreams: Iterable<UpstreamConfig>): void;
}

export function createUpstreamDispatcher(upstreams: Iterable<UpstreamConfig>): UpstreamDispatcher {
  let byOrigin = new Map<string, UpstreamConfig>();
  const update = (list: Iterable<UpstreamConfig>): void => {
    byOrigin = new Map([...list].map((upstream) => [upstream.url.origin, upstream]));
  };
  update(upstreams);
  const dispatcher = new Agent({
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
  return { dispatcher, update };
}
