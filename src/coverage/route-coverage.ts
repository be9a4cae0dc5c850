// Which routes live traffic reaches: a hit count and last-hit time per route and method, prepared when a config is
// loaded (one slot per route and method, found by index on the hot path) and kept by pattern across reloads; plus
// the 404s grouped into path templates. The record stage feeds it; GET /admin/coverage reads it.
import { HTTP_METHODS, type HttpMethod } from '../config/types.js';
import type { CompiledRoute, RouteTable } from '../routing/route-table.js';
import { NotFoundTemplates, type NotFoundTemplate } from './not-found-templates.js';

interface Slot {
  hits: number;
  /** Milliseconds since the epoch; 0: never. */
  lastHit: number;
}

/** What the record stage needs: prepared for one route table. */
export interface RouteHitRecorder {
  /** A request matched to route `index` (its method among the route's), or answered 404 (`index` undefined). */
  record(index: number | undefined, method: string, segments: readonly string[] | undefined): void;
}

/** A method, or `*` for a route that accepts every method (counted once, not seven times). */
export type CoverageMethod = HttpMethod | '*';

export interface RouteCoverageEntry {
  readonly pattern: string;
  readonly upstream: string;
  readonly method: CoverageMethod;
  readonly hits: number;
  /** ISO 8601, or null when never hit since observation began. */
  readonly lastHit: string | null;
}

export interface CoverageReport {
  /** The moment asked for. */
  readonly since: string;
  /** When this process began recording: anything before is unknown (`partial` when `since` is earlier). */
  readonly observedSince: string;
  readonly partial: boolean;
  /** Every route and method of the map in force, with its hits (HEAD is counted with GET where both are accepted). */
  readonly routes: readonly RouteCoverageEntry[];
  /** The routes and methods with no request at or after `since`. */
  readonly neverHit: readonly { readonly pattern: string; readonly method: CoverageMethod }[];
  readonly notFound: { readonly templates: readonly NotFoundTemplate[]; readonly cap: number; readonly dropped: number };
}

const METHOD_INDEX: Readonly<Record<string, number>> = { GET: 0, HEAD: 0, POST: 1, PUT: 2, PATCH: 3, DELETE: 4, OPTIONS: 5 };
const SLOT_METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** The methods a route is reported by: `*` when it accepts them all (no `methods` and one code, or public). */
function reportedMethods(route: CompiledRoute): CoverageMethod[] {
  return route.methods.size === HTTP_METHODS.length ? ['*'] : SLOT_METHODS.filter((m) => route.methods.has(m));
}

export class RouteCoverage {
  readonly #slots = new Map<string, Slot>();
  readonly #notFound: NotFoundTemplates;
  readonly #now: () => number;
  readonly #startedAt: number;

  /** `notFoundCap`: how many 404 templates are kept (each a few hundred bytes at most). */
  constructor(now: () => number, notFoundCap = 1_000) {
    this.#now = now;
    this.#startedAt = now();
    this.#notFound = new NotFoundTemplates(notFoundCap);
  }

  /** When recording began (milliseconds since the epoch): the default `since`. */
  get startedAt(): number {
    return this.#startedAt;
  }

  #slot(pattern: string, method: CoverageMethod): Slot {
    const key = `${method} ${pattern}`;
    let slot = this.#slots.get(key);
    if (slot === undefined) this.#slots.set(key, (slot = { hits: 0, lastHit: 0 }));
    return slot;
  }

  /** Slots for every route and method of `routes`, reusing those of a pattern the previous config had. */
  prepare(routes: RouteTable): RouteHitRecorder {
    const table: (Slot | undefined)[][] = routes.routes.map((route) => {
      const reported = reportedMethods(route);
      if (reported[0] === '*') return SLOT_METHODS.map(() => this.#slot(route.pattern, '*'));
      return SLOT_METHODS.map((m) => (route.methods.has(m) ? this.#slot(route.pattern, m) : undefined));
    });
    const now = this.#now;
    const notFound = this.#notFound;
    return {
      record(index, method, segments) {
        if (index === undefined) {
          if (segments !== undefined) notFound.record(method, segments, now());
          return;
        }
        const slot = table[index]?.[METHOD_INDEX[method] ?? -1];
        if (slot === undefined) return;
        slot.hits++;
        slot.lastHit = now();
      },
    };
  }

  /** The coverage of `routes` (the map in force) since `since` (milliseconds since the epoch). */
  report(routes: RouteTable, since: number): CoverageReport {
    const entries: RouteCoverageEntry[] = [];
    const neverHit: { pattern: string; method: CoverageMethod }[] = [];
    for (const route of routes.routes) {
      for (const method of reportedMethods(route)) {
        const slot = this.#slot(route.pattern, method);
        entries.push({ pattern: route.pattern, upstream: route.upstream.name, method, hits: slot.hits, lastHit: slot.lastHit === 0 ? null : new Date(slot.lastHit).toISOString() });
        if (slot.lastHit < since || slot.lastHit === 0) neverHit.push({ pattern: route.pattern, method });
      }
    }
    return {
      since: new Date(since).toISOString(),
      observedSince: new Date(this.#startedAt).toISOString(),
      partial: since < this.#startedAt,
      routes: entries,
      neverHit,
      notFound: { templates: this.#notFound.since(since), cap: this.#notFound.cap, dropped: this.#notFound.dropped },
    };
  }
}
