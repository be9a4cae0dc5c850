// Decides whether a request fits every budget of its route, in one store call; builds the IETF RateLimit headers.
// Keys are ones a client cannot choose: the resolved client address (IPv6 by /64), the verified subject, and the
// matched route pattern with the method — never the raw URL (docs/security-rules.md rule 10).
import { isIP } from 'node:net';
import type { RateDimension, RateLimitConfig } from '../config/rate-limit-types.js';
import type { Rate } from '../config/units.js';
import { GatewayError } from '../errors.js';
import type { Identity } from '../auth/identity.js';
import type { CompiledRoute } from '../routing/route-table.js';
import type { MemoryRateLimitStore } from '../stores/memory/memory-rate-limit-store.js';
import type { BucketCheck, RateDecision, RateLimitStore } from './rate-limit-store.js';

export interface RateLimitEvents {
  onDecision(dimension: RateDimension | 'all', outcome: 'allowed' | 'refused'): void;
  /** The shared store failed; this request was decided by the local share. */
  onFallback(err: unknown): void;
  onStoreLatency(seconds: number): void;
}

/** The IETF RateLimit headers an allowed request's response carries (RateLimit-Policy, RateLimit). */
export type RateLimitHeaders = Readonly<Record<string, string>>;

interface Budget {
  readonly dimension: RateDimension;
  readonly rate: Rate;
  /**
   * Set when the route's own `rateLimit` names the dimension: its bucket is the route's alone (issue 10 §4). A shared
   * bucket would let ten refused POSTs to a `ip: 10/min` route lock the address out of every route, since GCRA keeps
   * one number per bucket whatever the rate that pushed it.
   */
  readonly own: string | undefined;
}

interface RoutePlan {
  /**
   * The route shadows its rate limits (issue 14): its requests count in shadow buckets of their own (the same keys
   * under `s|`), so they never spend a budget enforced routes share, and what they would have refused is exactly
   * what enforcing this route's limits would refuse. No RateLimit headers, no decision metrics: nothing was limited.
   */
  readonly shadow: boolean;
  readonly budgets: readonly Budget[];
  readonly localBudgets: readonly Budget[];
  readonly policy: string;
  readonly ipGuard: Budget | undefined;
}

/** The bucket a client address counts in: IPv4 as is, IPv6 by its /64 (one subscriber's whole prefix). */
export function addressBucket(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  const [head = '', tail = ''] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return groups.slice(0, 4).map((g) => (g || '0').toLowerCase().replace(/^0+(?=.)/, '')).join(':') + '::/64';
}

/** What names a route in the keys of its own buckets: its methods and pattern, as the config entry has them. */
function routeScope(route: CompiledRoute): string {
  return `${[...route.methods].sort().join(',')} ${route.pattern}`;
}

function budgetsFor(config: RateLimitConfig | undefined, route: CompiledRoute): Budget[] {
  const merged = new Map<RateDimension, Budget>();
  for (const [dimension, rate] of config?.defaults ?? []) merged.set(dimension, { dimension, rate, own: undefined });
  const own = route.config.rateLimit;
  if (own?.kind === 'off') return [];
  if (own?.kind === 'override') {
    const scope = routeScope(route);
    for (const [dimension, rate] of own.budgets) {
      if (rate === 'off') merged.delete(dimension);
      else merged.set(dimension, { dimension, rate, own: scope });
    }
  }
  return [...merged.values()];
}

/**
 * A route's own budget counts in a bucket of that route; a default one in the bucket shared by every route. The
 * `route`, `user+route` and `ip+route` keys already name the route and method, so only the shared dimensions need it.
 */
function ownKey(key: string, budget: Budget): string {
  return budget.own === undefined ? key : `${key}|o|${budget.own}`;
}

export class RateLimiter {
  readonly #config: RateLimitConfig | undefined;
  readonly #shared: RateLimitStore;
  readonly #fallback: MemoryRateLimitStore | undefined;
  readonly #guard: MemoryRateLimitStore;
  readonly #events: RateLimitEvents;
  readonly #plans = new Map<CompiledRoute, RoutePlan | undefined>();

  /**
   * @param shared where budgets live (Redis, or the memory store for a single instance)
   * @param fallback the local store used while `shared` fails (undefined when `shared` is already local)
   * @param guard the local store of the pre-authentication per-IP guard
   */
  constructor(config: RateLimitConfig | undefined, shared: RateLimitStore, fallback: MemoryRateLimitStore | undefined, guard: MemoryRateLimitStore, events: RateLimitEvents) {
    this.#config = config;
    this.#shared = shared;
    this.#fallback = fallback;
    this.#guard = guard;
    this.#events = events;
  }

  /** Prepared once per route (house habit: build at load, look up per request). */
  #plan(route: CompiledRoute): RoutePlan | undefined {
    if (this.#plans.has(route)) return this.#plans.get(route);
    const budgets = budgetsFor(this.#config, route);
    const instances = this.#config?.instances ?? 1;
    const plan =
      budgets.length === 0
        ? undefined
        : {
            shadow: route.config.shadow.has('rate-limit'),
            budgets,
            // While Redis is down each instance takes its share, never less than one request per window.
            localBudgets: budgets.map((b) => ({ ...b, rate: { limit: Math.max(1, Math.floor(b.rate.limit / instances)), windowMs: b.rate.windowMs } })),
            policy: budgets.map((b) => `"${b.dimension}";q=${b.rate.limit};w=${Math.ceil(b.rate.windowMs / 1000)}`).join(', '),
            ipGuard: budgets.find((b) => b.dimension === 'ip'),
          };
    this.#plans.set(route, plan);
    return plan;
  }

  /**
   * Before the token is verified: a local per-IP guard, so a flood of forged tokens is cut before it costs a
   * signature check each. The exact, shared per-IP budget is checked again after authentication.
   */
  guard(route: CompiledRoute, ip: string): void {
    const plan = this.#plan(route);
    if (plan?.ipGuard === undefined) return;
    const guard = plan.ipGuard;
    const key = ownKey(`i|${addressBucket(ip)}`, guard);
    const decision = this.#guard.consume([{ key: plan.shadow ? `s|${key}` : key, rate: guard.rate }]);
    if (decision.refusedAt !== -1) throw this.#refusal(plan, decision, 'ip');
  }

  /**
   * Every budget of the route at once, for the caller at `ip` (`identity` undefined: anonymous); throws
   * PG_RATE_LIMITED (429) naming the first exhausted dimension. Returns the RateLimit headers for the response, or
   * undefined when there are none (no budget, an exempt role, `headers: false`); a promise only when the shared store
   * answers asynchronously.
   */
  check(route: CompiledRoute, ip: string, method: string, identity: Identity | undefined): RateLimitHeaders | undefined | Promise<RateLimitHeaders | undefined> {
    const plan = this.#plan(route);
    if (plan === undefined) return;
    if (identity && this.#config && identity.roles.some((role) => this.#config!.exemptRoles.includes(role))) return;
    const checks = this.#checks(plan, plan.budgets, route, ip, method, identity);
    const started = performance.now();
    let decided: RateDecision | Promise<RateDecision>;
    try {
      decided = this.#shared.consume(checks);
    } catch (err) {
      return this.#fallbackCheck(plan, route, ip, method, identity, err);
    }
    if (decided instanceof Promise) {
      return decided.then(
        (decision) => {
          this.#events.onStoreLatency((performance.now() - started) / 1000);
          return this.#apply(plan, decision);
        },
        (err: unknown) => this.#fallbackCheck(plan, route, ip, method, identity, err),
      );
    }
    return this.#apply(plan, decided);
  }

  #fallbackCheck(plan: RoutePlan, route: CompiledRoute, ip: string, method: string, identity: Identity | undefined, err: unknown): RateLimitHeaders | undefined {
    if (this.#fallback === undefined) throw err;
    this.#events.onFallback(err);
    return this.#apply(plan, this.#fallback.consume(this.#checks(plan, plan.localBudgets, route, ip, method, identity)), plan.localBudgets);
  }

  #checks(plan: RoutePlan, budgets: readonly Budget[], route: CompiledRoute, clientIp: string, method: string, identity: Identity | undefined): BucketCheck[] {
    const ip = addressBucket(clientIp);
    // Anonymous callers count per address in the user dimensions.
    const user = identity ? `u:${encodeURIComponent(identity.subject)}` : `a:${ip}`;
    const routeKey = `${method} ${route.pattern}`;
    const checks = budgets.map((budget): BucketCheck => {
      const rate = budget.rate;
      // `owner`: a user's (or an address's) buckets share a shard on a Cluster; `shared`: every client's.
      switch (budget.dimension) {
        case 'global':
          return { key: ownKey('g', budget), rate, shared: true };
        case 'route':
          return { key: `r|${routeKey}`, rate, shared: true };
        case 'ip':
          return { key: ownKey(`i|${ip}`, budget), rate, owner: ip };
        case 'user':
          return { key: ownKey(`u|${user}`, budget), rate, owner: user };
        case 'user+route':
          return { key: `ur|${user}|${routeKey}`, rate, owner: user };
        case 'ip+route':
          return { key: `ir|${ip}|${routeKey}`, rate, owner: ip };
      }
    });
    return plan.shadow ? checks.map((check) => ({ ...check, key: `s|${check.key}` })) : checks;
  }

  #apply(plan: RoutePlan, decision: RateDecision, budgets: readonly Budget[] = plan.budgets): RateLimitHeaders | undefined {
    if (decision.refusedAt !== -1) {
      const dimension = budgets[decision.refusedAt]!.dimension;
      if (!plan.shadow) this.#events.onDecision(dimension, 'refused');
      throw this.#refusal(plan, decision, dimension);
    }
    if (plan.shadow) return undefined;
    this.#events.onDecision('all', 'allowed');
    if (this.#config?.headers === false) return undefined;
    let tightest = 0;
    decision.buckets.forEach((bucket, i) => {
      if (bucket.remaining < decision.buckets[tightest]!.remaining) tightest = i;
    });
    const bucket = decision.buckets[tightest]!;
    return {
      'ratelimit-policy': plan.policy,
      ratelimit: `"${budgets[tightest]!.dimension}";r=${bucket.remaining};t=${Math.ceil(bucket.resetMs / 1000)}`,
    };
  }

  #refusal(plan: RoutePlan, decision: RateDecision, dimension: RateDimension): GatewayError {
    const retryAfter = String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000)));
    const headers: Record<string, string> = { 'retry-after': retryAfter };
    if (this.#config?.headers !== false) {
      headers['ratelimit-policy'] = plan.policy;
      headers.ratelimit = `"${dimension}";r=0;t=${retryAfter}`;
    }
    return new GatewayError('PG_RATE_LIMITED', { detail: `the "${dimension}" rate limit is exhausted`, headers });
  }
}


