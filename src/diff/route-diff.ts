// What a reload would change in the route map: routes added and removed, and for a route in both maps, what each
// method requires (re-coded), its own rate limits (re-limited) and its other settings. Routes are paired by the shape
// of their pattern (`/x/:id` and `/x/:key` are one route to the trie), and codes by their templates with parameters
// named by position, so renaming a parameter in the path and in its codes together changes no code.
import { HTTP_METHODS, type HttpMethod } from '../config/types.js';
import type { RouteRateLimit } from '../config/rate-limit-types.js';
import type { Rate } from '../config/units.js';
import type { CompiledRoute, RequirementTemplate, RouteTable } from '../routing/route-table.js';
import { parsePattern } from '../routing/route-trie.js';

/** What one method of a route requires, as written: a code expression, `(public)` or `(authenticated)`. */
export interface MethodChange {
  readonly method: HttpMethod;
  /** Absent: the method is not accepted on that side. */
  readonly before?: string | undefined;
  readonly after?: string | undefined;
}

export interface SettingChange {
  readonly key: string;
  readonly before: string;
  readonly after: string;
}

export interface RouteSummary {
  readonly pattern: string;
  /** Method → what it requires. */
  readonly methods: Readonly<Record<string, string>>;
}

export interface ChangedRoute {
  readonly pattern: string;
  /** The pattern as the old map wrote it, when only parameter names differ. */
  readonly was?: string | undefined;
  /** Methods added, removed or re-coded. */
  readonly methods: readonly MethodChange[];
  /** The route's own `rateLimit`, before and after; absent when unchanged. */
  readonly rateLimit?: SettingChange | undefined;
  /** Every other setting that differs (upstream, auth, sensitive, params…). */
  readonly settings: readonly SettingChange[];
}

export interface RouteDiff {
  readonly added: readonly RouteSummary[];
  readonly removed: readonly RouteSummary[];
  readonly changed: readonly ChangedRoute[];
}

/** `/api/:id/**` → `/api/:/**`: what the trie tells routes apart by. */
function shape(route: CompiledRoute, caseInsensitive: boolean): string {
  const pattern = caseInsensitive ? route.pattern.toLowerCase() : route.pattern;
  return parsePattern(pattern)
    .map((s) => (s.kind === 'static' ? s.value : s.kind === 'param' ? ':' : s.kind === 'star' ? '*' : '**'))
    .join('/');
}

/** Routes by shape; a second route of the same shape (disjoint methods) is paired by its order among them. */
function byShape(table: RouteTable, caseInsensitive: boolean): Map<string, CompiledRoute> {
  const out = new Map<string, CompiledRoute>();
  for (const route of table.routes) {
    const key = shape(route, caseInsensitive);
    let n = 0;
    while (out.has(n === 0 ? key : `${key}#${n}`)) n++;
    out.set(n === 0 ? key : `${key}#${n}`, route);
  }
  return out;
}

/** HEAD follows GET unless the route says otherwise; listing it beside GET would only repeat GET. */
function listedMethods(route: CompiledRoute): HttpMethod[] {
  return HTTP_METHODS.filter((m) => route.methods.has(m) && !(m === 'HEAD' && route.methods.has('GET')));
}

/** The requirement as written, for display. */
function written(route: CompiledRoute, method: HttpMethod): string {
  if (route.config.auth === 'none') return '(public)';
  const requirement = route.permissions.get(method);
  return requirement === undefined ? '(authenticated)' : requirement.source;
}

/** The requirement with `{name}` replaced by the parameter's segment index: what is compared. */
function comparable(route: CompiledRoute, requirement: RequirementTemplate | undefined): string {
  if (route.config.auth === 'none') return '(public)';
  if (requirement === undefined) return '(authenticated)';
  const codes = requirement.templates.map((t) => t.source.replace(/\{([^}]*)\}/g, (_, name: string) => `{#${route.paramIndex.get(name)}}`));
  return `${requirement.mode}:${codes.join('\u0000')}`;
}

function summary(route: CompiledRoute): RouteSummary {
  return { pattern: route.pattern, methods: Object.fromEntries(listedMethods(route).map((m) => [m, written(route, m)])) };
}

/** @example rateText({ limit: 5, windowMs: 60_000 }) === '5/min' */
export function rateText(rate: Rate): string {
  const units: [number, string][] = [[86_400_000, 'd'], [3_600_000, 'h'], [60_000, 'min'], [1000, 's']];
  for (const [ms, unit] of units) {
    if (rate.windowMs === ms) return `${rate.limit}/${unit}`;
    if (rate.windowMs % ms === 0) return `${rate.limit}/${rate.windowMs / ms}${unit === 'min' ? 'm' : unit}`;
  }
  return `${rate.limit}/${rate.windowMs}ms`;
}

/** A route's own `rateLimit` as text: `defaults`, `off`, or its budgets (on top of the defaults). */
export function routeLimitText(limit: RouteRateLimit | undefined): string {
  if (limit === undefined) return 'defaults';
  if (limit.kind === 'off') return 'off';
  return [...limit.budgets].map(([dim, rate]) => `${dim}=${rate === 'off' ? 'off' : rateText(rate)}`).sort().join(', ') + ' (over defaults)';
}

/** Plain JSON for settings held as Maps, Sets and RegExps, with keys in a stable order. */
function plain(value: unknown): unknown {
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), plain(v)]).sort(([a], [b]) => String(a).localeCompare(String(b))));
  if (value instanceof Set) return [...value].map(plain).sort();
  if (value instanceof RegExp) return value.source;
  if (value instanceof URL) return value.href;
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

function text(value: unknown): string {
  if (value === undefined) return '(unset)';
  const json = plain(value);
  return typeof json === 'string' ? json : JSON.stringify(json);
}

/** The settings compared besides methods, codes and rate limits (where a route's file position is not one). */
function settings(route: CompiledRoute): Record<string, string> {
  const c = route.config;
  return {
    upstream: `${route.upstream.name} (${route.upstream.url.href})`,
    auth: c.auth,
    sensitive: String(c.sensitive),
    onStoreDown: text(c.onStoreDown),
    tenantParam: c.tenantParam === undefined ? '(unset)' : `:${c.tenantParam}`,
    params: text(new Map([...c.params].map(([name, re]) => [name, re]))),
    bodyLimit: text(c.bodyLimit),
    requestBuffering: String(c.requestBuffering),
    forwardAuthorization: String(c.forwardAuthorization),
    breaker: text(c.breaker),
    fallback: text(c.fallback),
    upstreamHeaders: text(c.upstreamHeaders),
  };
}

export function diffRoutes(before: RouteTable, after: RouteTable, options: { readonly caseInsensitive: readonly [boolean, boolean] }): RouteDiff {
  const old = byShape(before, options.caseInsensitive[0]);
  const now = byShape(after, options.caseInsensitive[1]);
  const added = [...now].filter(([key]) => !old.has(key)).map(([, route]) => summary(route));
  const removed = [...old].filter(([key]) => !now.has(key)).map(([, route]) => summary(route));
  const changed: ChangedRoute[] = [];
  for (const [key, a] of old) {
    const b = now.get(key);
    if (b === undefined) continue;
    const methods: MethodChange[] = [];
    const listedA = listedMethods(a);
    const listedB = listedMethods(b);
    for (const method of HTTP_METHODS) {
      const inA = listedA.includes(method);
      const inB = listedB.includes(method);
      if (!inA && !inB) continue;
      if (inA && inB && comparable(a, a.permissions.get(method)) === comparable(b, b.permissions.get(method))) continue;
      methods.push({ method, before: inA ? written(a, method) : undefined, after: inB ? written(b, method) : undefined });
    }
    const limitA = routeLimitText(a.config.rateLimit);
    const limitB = routeLimitText(b.config.rateLimit);
    const rateLimit = limitA === limitB ? undefined : { key: 'rateLimit', before: limitA, after: limitB };
    const sa = settings(a);
    const sb = settings(b);
    const settingChanges = Object.keys(sa).filter((k) => sa[k] !== sb[k]).map((k) => ({ key: k, before: sa[k]!, after: sb[k]! }));
    if (methods.length + settingChanges.length === 0 && rateLimit === undefined && a.pattern === b.pattern) continue;
    changed.push({ pattern: b.pattern, was: a.pattern === b.pattern ? undefined : a.pattern, methods, rateLimit, settings: settingChanges });
  }
  return { added, removed, changed };
}

/** Route-methods present in both maps whose requirement changed: whose callers may differ with the same policy. */
export function recodedMethods(before: RouteTable, after: RouteTable, options: { readonly caseInsensitive: readonly [boolean, boolean] }): { readonly method: HttpMethod; readonly pattern: string; readonly before: RequirementTemplate; readonly after: RequirementTemplate }[] {
  const old = byShape(before, options.caseInsensitive[0]);
  const now = byShape(after, options.caseInsensitive[1]);
  const out = [];
  for (const [key, a] of old) {
    const b = now.get(key);
    if (b === undefined || a.config.auth === 'none' || b.config.auth === 'none') continue;
    for (const method of listedMethods(a)) {
      const ra = a.permissions.get(method);
      const rb = b.permissions.get(method);
      if (ra === undefined || rb === undefined || !b.methods.has(method)) continue;
      if (comparable(a, ra) !== comparable(b, rb)) out.push({ method, pattern: b.pattern, before: ra, after: rb });
    }
  }
  return out;
}
