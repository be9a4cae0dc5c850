// Assembles the limiter on the configured store: Redis (with a local fallback share) or the embedded memory store.
import type { FastifyBaseLogger } from 'fastify';
import type { GatewayConfig } from '../config/types.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { MemoryRateLimitStore } from '../stores/memory/memory-rate-limit-store.js';
import { RedisRateLimitStore } from '../stores/redis/redis-rate-limit-store.js';
import { RedisStore } from '../stores/redis/redis-store.js';
import type { Store } from '../stores/store.js';
import { RateLimiter } from './rate-limiter.js';

/** Undefined when no route has a budget: the journey then has no rate-limit stages at all. */
export function buildRateLimiter(config: GatewayConfig, store: Store, metrics: GatewayMetrics, log: FastifyBaseLogger, now: () => number): RateLimiter | undefined {
  const anyBudget = (config.rateLimits?.defaults.size ?? 0) > 0 || config.routes.some((route) => route.rateLimit?.kind === 'override');
  if (!anyBudget) return undefined;
  const redis = store instanceof RedisStore;
  let lastWarning = -Infinity;
  return new RateLimiter(
    config.rateLimits,
    redis ? new RedisRateLimitStore(store.client) : new MemoryRateLimitStore(now),
    redis ? new MemoryRateLimitStore(now) : undefined,
    new MemoryRateLimitStore(now),
    {
      onDecision: (dimension, outcome) => metrics.rateLimitDecisions.inc({ dimension, outcome }),
      onFallback: (err) => {
        metrics.rateLimitFallbacks.inc();
        // One line per ten seconds, not one per request, while Redis is down.
        if (now() - lastWarning > 10_000) {
          lastWarning = now();
          log.warn({ reason: (err as Error).message }, 'rate limits fall back to the local share: the shared store failed');
        }
      },
      onStoreLatency: (seconds) => metrics.rateLimitStoreDuration.observe(seconds),
    },
  );
}
