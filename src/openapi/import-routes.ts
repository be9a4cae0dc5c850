// `permgate import openapi`: a route map from an OpenAPI document. Each operation becomes a route for its method with
// the code its `x-permission` names, else the derived one (permission-code-of.ts); operations sharing a path shape
// share a route; `auth: none` only where the document says `security: []`. Nothing here widens what is public, and a
// path that cannot be routed is left out (so the gateway refuses it) with a warning.
import type { HttpMethod } from '../config/types.js';
import { PermissionTemplate, TemplateError } from '../routing/permission-template.js';
import type { ApiDocument, ApiOperation } from './api-document.js';
import { METHOD_ACTION, NOISE_SEGMENT, permissionCodeOf, resourceOf } from './permission-code-of.js';
import { routePatternOf, type RoutePattern } from './route-pattern-of.js';

export interface ImportOptions {
  readonly upstream: string;
  /** Put before every path; undefined: the document's own base path (Swagger `basePath`, OpenAPI's first server). */
  readonly prefix?: string;
  /** Fold each tag's operations into one module route `<common prefix>/**` (legacy controller style). */
  readonly modules?: boolean;
}

export interface ImportedRoute {
  readonly path: string;
  readonly upstream: string;
  readonly public: boolean;
  /** Public routes: the methods. Protected routes: method → the codes it requires (all of them). */
  readonly methods: readonly HttpMethod[];
  readonly permission: ReadonlyMap<HttpMethod, readonly string[]>;
  readonly params: ReadonlyMap<string, string>;
  /** The operations it stands for, `GET /pet/{petId} getPetById`. */
  readonly sources: readonly string[];
}

export interface ImportResult {
  readonly routes: readonly ImportedRoute[];
  readonly warnings: readonly string[];
  readonly prefix: string;
  readonly operations: number;
}

/** One operation, placed: its pattern and what it requires (undefined codes: public). */
interface Placed {
  readonly op: ApiOperation;
  readonly label: string;
  readonly route: RoutePattern;
  codes: readonly string[] | undefined;
  readonly derived: boolean;
}

const labelOf = (op: ApiOperation): string => `${op.method} ${op.path}${op.operationId ? ` ${op.operationId}` : ''}`;

/** `x-permission` as codes, with `{name}` renamed to the route's parameter names; a string says why it is unusable. */
function explicitCodes(value: unknown, route: RoutePattern): string[] | string {
  const list = typeof value === 'string' ? [value] : Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined;
  if (list === undefined) return 'x-permission must be a code or a list of codes (all required)';
  const codes: string[] = [];
  for (const code of list) {
    let unknown: string | undefined;
    const renamed = code.replace(/\{([^{}]*)\}/g, (whole, name: string) => {
      const to = route.renamed.get(name);
      if (to === undefined) unknown ??= name;
      return to === undefined ? whole : `{${to}}`;
    });
    if (unknown !== undefined) return `x-permission "${code}": {${unknown}} is not a whole path segment of this operation`;
    try {
      PermissionTemplate.parse(renamed, new Set(route.params));
    } catch (err) {
      if (err instanceof TemplateError) return `x-permission "${code}": ${err.message}`;
      throw err;
    }
    codes.push(renamed);
  }
  return codes;
}

function place(op: ApiOperation, prefix: string, warn: (text: string) => void): Placed | undefined {
  const label = labelOf(op);
  const route = routePatternOf(prefix, op.path);
  if (typeof route === 'string') {
    warn(`${label}: left out (refused by the gateway): ${route}`);
    return undefined;
  }
  for (const note of route.notes) warn(`${label}: ${note}`);
  if (op.permission !== undefined) {
    const codes = explicitCodes(op.permission, route);
    if (typeof codes === 'string') {
      warn(`${label}: left out (refused by the gateway): ${codes}`);
      return undefined;
    }
    if (op.security === 'none') warn(`${label}: security: [] but an x-permission: the code is required`);
    return { op, label, route, codes, derived: false };
  }
  if (op.security === 'none') return { op, label, route, codes: undefined, derived: false };
  return { op, label, route, codes: [permissionCodeOf(op)], derived: true };
}

/** GET and HEAD are one pair for the route table (HEAD follows GET): they must be on the same side. */
function linked(method: HttpMethod): HttpMethod[] {
  return method === 'GET' || method === 'HEAD' ? ['GET', 'HEAD'] : [method];
}

/** Renames `{name}` in codes from one operation's parameter names to the route's (same positions, same shape). */
function renameCodes(codes: readonly string[], from: readonly string[], to: readonly string[]): string[] {
  return codes.map((code) => code.replace(/\{([^{}]+)\}/g, (whole, name: string) => (from.includes(name) ? `{${to[from.indexOf(name)]}}` : whole)));
}

/** One grammar per parameter for a route made of several operations: none if any operation takes the whole segment. */
function mergedGrammars(members: readonly Placed[], params: readonly string[]): Map<string, string> {
  const merged = new Map<string, string>();
  params.forEach((name, i) => {
    const grammars = members.map((m) => m.route.grammars.get(m.route.params[i]!));
    if (grammars.some((g) => g === undefined)) return;
    const distinct = [...new Set(grammars as string[])];
    merged.set(name, distinct.length === 1 ? distinct[0]! : distinct.map((g) => `(?:${g})`).join('|'));
  });
  return merged;
}

/** Routes for the operations of one path shape: a protected route, and a public one for methods the document leaves open. */
function routesOfShape(members: Placed[], upstream: string, warn: (text: string) => void): ImportedRoute[] {
  const first = members[0]!;
  const params = first.route.params;
  for (const m of members.slice(1)) {
    if (m.route.params.some((name, i) => name !== params[i])) {
      warn(`${m.label}: shares the route ${first.route.pattern} of ${first.label} (same path but for parameter names)`);
      if (m.codes !== undefined) m.codes = renameCodes(m.codes, m.route.params, params);
    }
  }
  // A public route is never widened: public operations must agree on every grammar and hold their methods alone.
  const open = members.filter((m) => m.codes === undefined);
  const signature = (m: Placed): string => JSON.stringify(m.route.params.map((p) => m.route.grammars.get(p) ?? ''));
  const protectedMethods = new Set(members.filter((m) => m.codes !== undefined).flatMap((m) => linked(m.op.method)));
  for (const m of open) {
    const clash = signature(m) !== signature(open[0]!) ? 'another public operation on this path takes other values' : protectedMethods.has(m.op.method) ? `${m.op.method} is protected on this path by another operation` : undefined;
    if (clash === undefined) continue;
    warn(`${m.label}: security: [] but ${clash}; it requires a code instead (${permissionCodeOf(m.op)})`);
    m.codes = [permissionCodeOf(m.op)];
    for (const method of linked(m.op.method)) protectedMethods.add(method);
  }
  // Moving one public method can pull its GET/HEAD partner along.
  for (const m of open) {
    if (m.codes === undefined && protectedMethods.has(m.op.method)) {
      warn(`${m.label}: security: [] but GET and HEAD are routed together and the other is protected; it requires a code (${permissionCodeOf(m.op)})`);
      m.codes = [permissionCodeOf(m.op)];
    }
  }
  const routes: ImportedRoute[] = [];
  const guarded = members.filter((m) => m.codes !== undefined);
  if (guarded.length > 0) {
    const permission = new Map<HttpMethod, string[]>();
    for (const m of guarded) {
      const codes = permission.get(m.op.method) ?? [];
      if (codes.length > 0) warn(`${m.label}: ${m.op.method} ${first.route.pattern} also stands for another operation: every code of both is required`);
      permission.set(m.op.method, [...new Set([...codes, ...m.codes!])]);
    }
    const methods = [...permission.keys()];
    routes.push({ path: first.route.pattern, upstream, public: false, methods, permission, params: mergedGrammars(guarded, params), sources: guarded.map((m) => m.label) });
  }
  const publics = members.filter((m) => m.codes === undefined);
  if (publics.length > 0) {
    const methods = [...new Set(publics.map((m) => m.op.method))];
    routes.push({ path: first.route.pattern, upstream, public: true, methods, permission: new Map(), params: mergedGrammars(publics, params), sources: publics.map((m) => m.label) });
  }
  return routes;
}

/** Whether a request could match both patterns (no `**` in either): each segment equal, or either a parameter. */
function couldMatch(a: readonly string[], b: readonly string[]): boolean {
  const wild = (s: string): boolean => s.startsWith(':') || s === '*';
  return a.length === b.length && a.every((s, i) => s === b[i] || wild(s) || wild(b[i]!));
}

/**
 * Module routes (`--modules`): a tag's protected operations with derived codes, when they all lie below one literal
 * prefix longer than the import prefix, become `<prefix>/**` requiring `<resource>:<action of the method>`. An
 * operation stays on its own route when another operation that is not folded shares its path shape (a more specific
 * route that does not accept a method answers 405 rather than giving way, so folding it would lock it out).
 */
function foldModules(placed: Placed[], prefixDepth: number, upstream: string, warn: (text: string) => void): { modules: ImportedRoute[]; rest: Placed[] } {
  // Grouped by the tag as written (`字典数据` is a group even though no code can hold it); untagged: by resource.
  const byTag = new Map<string, Placed[]>();
  for (const p of placed) {
    if (!p.derived) continue;
    const key = p.op.tags[0] !== undefined ? `tag ${p.op.tags[0]}` : `path ${resourceOf(p.op)}`;
    byTag.set(key, [...(byTag.get(key) ?? []), p]);
  }
  const literalsOf = (p: Placed): string[] => {
    const segments = p.route.pattern.split('/').slice(1);
    const cut = segments.findIndex((s) => s.startsWith(':') || s === '*');
    return cut === -1 ? segments : segments.slice(0, cut);
  };
  const candidates = new Map<string, { resource: string; members: Placed[]; claimedBy: string[] }>();
  for (const [key, members] of byTag) {
    let common = literalsOf(members[0]!);
    for (const m of members.slice(1)) {
      const other = literalsOf(m);
      let n = 0;
      while (n < common.length && n < other.length && common[n] === other[n]) n++;
      common = common.slice(0, n);
    }
    // One path alone says nothing of its controller's prefix: take its parent (`/admin/user/list` → `/admin/user`).
    if (new Set(members.map((m) => m.route.shape)).size === 1 && common.length === members[0]!.route.pattern.split('/').length - 1) common = common.slice(0, -1);
    // The module must name something below the import prefix other than `api` or a version: `/api/v1/**` would be
    // the whole backend under one tag's codes.
    const below = common.slice(prefixDepth);
    if (below.every((segment) => NOISE_SEGMENT.test(segment))) continue;
    const pattern = '/' + common.join('/') + '/**';
    // The tag as a code part, else the module's own literal segments (the rule of permission-code-of.ts).
    const resource = resourceOf({ tags: members[0]!.op.tags.slice(0, 1), path: '/' + below.join('/') });
    const taken = candidates.get(pattern);
    if (taken !== undefined) {
      taken.claimedBy.push(key.slice(key.indexOf(' ') + 1));
      taken.members = [];
      continue;
    }
    candidates.set(pattern, { resource, members, claimedBy: [key.slice(key.indexOf(' ') + 1)] });
  }
  for (const [pattern, { claimedBy }] of candidates) {
    if (claimedBy.length > 1) warn(`module ${pattern}: claimed by ${claimedBy.join(', ')}; none is folded`);
  }
  const folded = new Set<Placed>();
  for (const { members } of candidates.values()) for (const m of members) folded.add(m);
  // A folded operation must reach the module route: none of the routes kept could match a path of it (a kept
  // `/shop/order/:id` would take `/shop/order/list`, and answer it with its own code, or as public). Unfolding one
  // operation keeps its route, which may capture others: repeat until nothing changes.
  for (let changed = true; changed; ) {
    changed = false;
    const kept = placed.filter((p) => !folded.has(p)).map((p) => p.route.pattern.split('/').slice(1));
    for (const p of folded) {
      const own = p.route.pattern.split('/').slice(1);
      if (kept.some((k) => couldMatch(k, own))) {
        folded.delete(p);
        changed = true;
      }
    }
  }
  const modules: ImportedRoute[] = [];
  for (const [pattern, { resource, members }] of candidates) {
    const inside = members.filter((m) => folded.has(m));
    if (inside.length === 0) continue;
    const permission = new Map<HttpMethod, string[]>();
    for (const m of inside) permission.set(m.op.method, [`${resource}:${METHOD_ACTION[m.op.method]}`]);
    modules.push({ path: pattern, upstream, public: false, methods: [...permission.keys()], permission, params: new Map(), sources: inside.map((m) => m.label) });
  }
  return { modules, rest: placed.filter((p) => !folded.has(p)) };
}

export function importRoutes(doc: ApiDocument, options: ImportOptions): ImportResult {
  const warnings: string[] = [...doc.skipped];
  const warn = (text: string): void => void warnings.push(text);
  const prefix = (options.prefix ?? doc.basePath).replace(/\/+$/, '');
  const placed = doc.operations.map((op) => place(op, prefix, warn)).filter((p): p is Placed => p !== undefined);
  const undeclared = doc.operations.filter((op) => op.security === 'undeclared' && op.permission === undefined).length;
  if (undeclared > 0) {
    warn(`${undeclared} operation(s) declare no security (nor does the document): they require a code; give an operation security: [] to make it public`);
  }
  const optional = doc.operations.filter((op) => op.security === 'optional' && op.permission === undefined).length;
  if (optional > 0) warn(`${optional} operation(s) allow anonymous callers as one option ({} in security): they require a code, since the answer depends on the caller`);
  const prefixDepth = prefix.split('/').filter((s) => s !== '').length;
  const { modules, rest } = options.modules ? foldModules(placed, prefixDepth, options.upstream, warn) : { modules: [], rest: placed };
  const byShape = new Map<string, Placed[]>();
  for (const p of rest) byShape.set(p.route.shape, [...(byShape.get(p.route.shape) ?? []), p]);
  const routes = [...modules, ...[...byShape.values()].flatMap((members) => routesOfShape(members, options.upstream, warn))];
  return { routes, warnings, prefix, operations: doc.operations.length };
}
