// Forwarding under circuit breakers: each route forwards through its own breaker or its upstream's. While a breaker
// is open, sensitive routes fail closed at once (503 + Retry-After), and other routes answer with their fallback:
// 503, a static response, or the last good response to the same GET by the same caller. Breakers and last-good
// caches are carried over from the previous config when what they depend on is unchanged (carried-over.ts).
import type { Transform } from 'node:stream';
import type { Pool } from 'undici';
import type { BreakerConfig } from '../config/resilience-types.js';
import type { GatewayConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';
import type { CompiledRoute } from '../routing/route-table.js';
import { configKey, type CarriedOver } from './carried-over.js';
import { Breaker, type BreakerEvents, type BreakerState } from './circuit-breaker.js';
import type { Forwarder } from './forward.js';
import type { ForwardContext } from './forward-context.js';
import { LastGoodCache } from './last-good.js';

export type ShortCircuitOutcome = 'rejected' | 'static' | 'last-good';

export interface ResilienceHooks extends BreakerEvents {
  onShortCircuit(breaker: string, outcome: ShortCircuitOutcome): void;
}

interface RoutePlan {
  readonly breaker: Breaker;
  readonly lastGood: LastGoodCache | undefined;
}

/** The pools, breakers and last-good caches that live across reloads (owned by the gateway, not by one config). */
export interface CarriedParts {
  readonly pools: CarriedOver<Pool>;
  readonly breakers: CarriedOver<Breaker>;
  readonly lastGood: CarriedOver<LastGoodCache>;
}

export class ResilientForwarder {
  readonly #forwarder: Forwarder;
  readonly #hooks: ResilienceHooks;
  readonly #plans = new Map<CompiledRoute, RoutePlan>();
  readonly #breakers = new Map<string, Breaker>();
  readonly #now: () => number;
  /** The keys of the carried parts this config uses: what the gateway keeps once this config is in force. */
  readonly carriedKeys = { breakers: new Set<string>(), lastGood: new Set<string>() };

  /**
   * `hooks` become the events of the breakers made now; a breaker carried over keeps the events it was made with,
   * so they must not depend on one config (they update metrics and logs).
   */
  constructor(config: GatewayConfig, routes: readonly CompiledRoute[], forwarder: Forwarder, hooks: ResilienceHooks, carried: CarriedParts, now: () => number) {
    this.#forwarder = forwarder;
    this.#hooks = hooks;
    this.#now = now;
    const byUpstream = new Map<string, Breaker>();
    // A breaker's key holds where the upstream is: the same name pointed at another backend starts afresh.
    const make = (name: string, breaker: BreakerConfig, url: string): Breaker => {
      const key = configKey({ name, breaker, url });
      this.carriedKeys.breakers.add(key);
      const made = carried.breakers.obtain(key, () => Breaker.fromConfig(name, breaker, hooks, now));
      this.#breakers.set(name, made);
      return made;
    };
    for (const upstream of config.upstreams.values()) {
      if (upstream.breaker !== undefined) byUpstream.set(upstream.name, make(`upstream:${upstream.name}`, upstream.breaker, upstream.url.href));
    }
    for (const route of routes) {
      const own = route.config.breaker;
      const breaker = own !== undefined ? make(`route:${route.pattern}`, own, route.upstream.url.href) : byUpstream.get(route.upstream.name);
      if (breaker === undefined) continue;
      const fallback = route.config.fallback;
      let lastGood: LastGoodCache | undefined;
      if (fallback.kind === 'lastGood') {
        // What the stored responses came from: the route, the backend and how it is asked.
        const key = configKey({ route: route.pattern, url: route.upstream.url.href, preserveHost: route.upstream.preserveHost, fallback });
        this.carriedKeys.lastGood.add(key);
        lastGood = carried.lastGood.obtain(key, () => new LastGoodCache(fallback.maxEntries, fallback.maxAge, fallback.maxBodySize));
      }
      this.#plans.set(route, { breaker, lastGood });
    }
  }

  /** Every breaker and its state, for /readyz and metrics. */
  states(): Record<string, BreakerState> {
    return Object.fromEntries([...this.#breakers.values()].map((b) => [b.name, b.state]));
  }

  /** Throws only on a bug of the gateway's, with the breaker call settled as neutral. */
  forward(ctx: ForwardContext): void {
    const plan = this.#plans.get(ctx.match!.route);
    if (plan === undefined) return this.#forwarder.forward(ctx);
    const call = plan.breaker.admit();
    if (call === undefined) return this.#shortCircuit(ctx, plan);
    ctx.breakerCall = call;
    try {
      this.#forwarder.forward(ctx, plan.lastGood === undefined ? undefined : this.#tap);
    } catch (err) {
      call.settle(undefined); // the gateway's fault, not the upstream's
      throw err;
    }
  }

  /** A body tap for a 2xx GET on a route whose fallback is the last good response; undefined otherwise. */
  readonly #tap = (ctx: ForwardContext, status: number, contentType: string | undefined): Transform | undefined => {
    const lastGood = this.#plans.get(ctx.match!.route)?.lastGood;
    if (lastGood === undefined || ctx.method !== 'GET' || status < 200 || status > 299) return undefined;
    return lastGood.capture(this.#key(ctx), status, contentType, this.#now);
  };

  #key(ctx: ForwardContext): string {
    return LastGoodCache.key(ctx.identity?.subject, ctx.identity?.tenant, ctx.method, ctx.target!.path, ctx.target!.query);
  }

  #shortCircuit(ctx: ForwardContext, plan: RoutePlan): void {
    const route = ctx.match!.route.config;
    const name = plan.breaker.name;
    const reject = (): void => {
      this.#hooks.onShortCircuit(name, 'rejected');
      ctx.reply.refuse(new GatewayError('PG_UPSTREAM_CIRCUIT_OPEN', { headers: { 'retry-after': String(plan.breaker.retryAfter()) } }));
    };
    if (route.sensitive) return reject();
    const fallback = route.fallback;
    if (fallback.kind === 'static') {
      this.#hooks.onShortCircuit(name, 'static');
      ctx.fallback = 'static';
      ctx.reply.send(fallback.status, { 'content-type': fallback.contentType, 'x-permgate-fallback': 'static', 'cache-control': 'no-store' }, fallback.body);
      return;
    }
    if (fallback.kind === 'lastGood' && plan.lastGood !== undefined && ctx.method === 'GET') {
      const stored = plan.lastGood.get(this.#key(ctx), this.#now());
      if (stored !== undefined) {
        this.#hooks.onShortCircuit(name, 'last-good');
        ctx.fallback = 'last-good';
        const headers: Record<string, string> = { 'x-permgate-fallback': 'last-good', age: String(Math.floor((this.#now() - stored.storedAt) / 1000)), 'cache-control': 'no-store' };
        if (stored.contentType !== undefined) headers['content-type'] = stored.contentType;
        ctx.reply.send(stored.status, headers, stored.body);
        return;
      }
    }
    reject();
  }
}
