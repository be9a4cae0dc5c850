// Assembles the limiter on the configured store: a shared one (with a local fallback share, behind a breaker) or
// budgets in this process's memory. The stores live as long as the process (a reload keeps every budget); the limiter, which
// holds the config's budgets, is rebuilt with each config.
import type { GatewayConfig } from '../config/types.js';
import type { LogPort } from '../observability/log-port.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { MemoryRateLimitStore } from '../stores/memory/memory-rate-limit-store.js';
import type { Store } from '../stores/store.js';
import { RateLimiter } from './rate-limiter.js';
import type { RateLimitStore } from './rate-limit-store.js';
import { StoreBreaker } from './store-breaker.js';

export interface RateLimitStores {
  readonly shared: RateLimitStore;
  readonly fallback: MemoryRateLimitStore | undefined;
  readonly guard: MemoryRateLimitStore;
  readonly breaker: StoreBreaker | undefined;
}

export function rateLimitStores(store: Store, metrics: GatewayMetrics, log: LogPort, now: () => number): RateLimitStores {
  const remote = store.sharedRateLimits();
  if (remote === undefined) return { shared: new MemoryRateLimitStore(now), fallback: undefined, guard: new MemoryRateLimitStore(now), breaker: undefined };
  remote.onLateCall?.(() => metrics.rateLimitLateCalls.inc());
  const breaker = new StoreBreaker(remote, {
    onTransition(state) {
      metrics.breakerState.set({ breaker: 'store:rate-limits' }, state === 'open' ? 2 : state === 'half-open' ? 1 : 0);
      metrics.breakerTransitions.inc({ breaker: 'store:rate-limits', to: state });
      log.warn({ breaker: 'store:rate-limits', state }, `rate-limit store breaker ${state}`);
    },
  }, now);
  return { shared: breaker, fallback: new MemoryRateLimitStore(now), guard: new MemoryRateLimitStore(now), breaker };
}

/** Undefined when no route has a budget: the journey then has no rate-limit stages at all. */
export function buildRateLimiter(config: GatewayConfig, stores: RateLimitStores, metrics: GatewayMetrics, log: LogPort, now: () => number): RateLimiter | undefined {
  const anyBudget = (config.rateLimits?.defaults.size ?? 0) > 0 || config.routes.some((route) => route.rateLimit?.kind === 'override');
  if (!anyBudget) return undefined;
  let lastWarning = -Infinity;
  return new RateLimiter(config.rateLimits, stores.shared, stores.fallback, stores.guard, {
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
  });
}
