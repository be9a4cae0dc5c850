// The route map, compiled at load: patterns into a trie, permissions into templates, conflicts into config errors.
import type { ConfigIssue } from '../config/config-error.js';
import { HTTP_METHODS, type HttpMethod, type Requirement, type RouteConfig, type UpstreamConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';
import type { NormalizedTarget } from './normalize-path.js';
import { PermissionTemplate, TemplateError, type PermissionCode } from './permission-template.js';
import { parsePattern, PatternError, RouteTrie, type PatternSegment } from './route-trie.js';

export interface CompiledRoute {
  /** Index in the config's `routes` list. */
  readonly index: number;
  /** The pattern as written: the label of this route in metrics, logs and rate-limit keys. */
  readonly pattern: string;
  readonly config: RouteConfig;
  readonly upstream: UpstreamConfig;
  readonly methods: ReadonlySet<HttpMethod>;
  /** Required codes per method; absent for a public route. */
  readonly permissions: ReadonlyMap<HttpMethod, RequirementTemplate>;
  /** What a WebSocket handshake must hold on a websocket route: its WEBSOCKET requirement, else GET's. */
  readonly handshake: RequirementTemplate | undefined;
  /** Path parameter name → segment index. */
  readonly paramIndex: ReadonlyMap<string, number>;
}

/** What the trie stores at one pattern: the routes that share it, split by method. */
interface RouteSlot {
  readonly routes: CompiledRoute[];
  readonly byMethod: Map<HttpMethod, CompiledRoute>;
  allow: string;
}

/** What a method of a route requires: every code (`all`) or at least one (`any`), as templates. */
export interface RequirementTemplate {
  readonly mode: 'all' | 'any';
  readonly templates: readonly PermissionTemplate[];
  /** As written, for `permgate check`. */
  readonly source: string;
}

export interface RouteMatch {
  readonly route: CompiledRoute;
  /** The codes this request must hold, filled from its path. Empty for a public route. */
  readonly permissions: readonly PermissionCode[];
  /** Whether it must hold all of `permissions` or any one of them. */
  readonly mode: 'all' | 'any';
  readonly param: (name: string) => string;
}

export class RouteTable {
  readonly #trie: RouteTrie<RouteSlot>;
  readonly routes: readonly CompiledRoute[];

  constructor(trie: RouteTrie<RouteSlot>, routes: readonly CompiledRoute[]) {
    this.#trie = trie;
    this.routes = routes;
  }

  /**
   * Matches a canonical target, or throws PG_ROUTE_NOT_FOUND / PG_METHOD_NOT_ALLOWED / PG_PARAM_INVALID. A WebSocket
   * `handshake` (a GET) is matched as a GET and, on a websocket route, must hold the route's handshake requirement.
   */
  match(method: string, target: NormalizedTarget, handshake = false): RouteMatch {
    const slot = this.#trie.lookup(target.segments);
    if (slot === undefined) throw new GatewayError('PG_ROUTE_NOT_FOUND');
    const route = slot.byMethod.get(method as HttpMethod);
    if (route === undefined) {
      throw new GatewayError('PG_METHOD_NOT_ALLOWED', { headers: { allow: slot.allow } });
    }
    const segments = target.segments;
    const param = (name: string): string => segments[route.paramIndex.get(name)!] ?? '';
    for (const [name, grammar] of route.config.params) {
      if (!grammar.test(param(name))) {
        throw new GatewayError('PG_PARAM_INVALID', { detail: `path parameter "${name}" does not have the form this route accepts` });
      }
    }
    const requirement = handshake && route.config.websocket !== undefined ? route.handshake : route.permissions.get(method as HttpMethod);
    if (requirement === undefined) return { route, permissions: NO_CODES, mode: 'all', param };
    const templates = requirement.templates;
    const permissions = templates.length === 1 ? [templates[0]!.fill(param)] : templates.map((t) => t.fill(param));
    return { route, permissions, mode: requirement.mode, param };
  }
}

const NO_CODES: readonly PermissionCode[] = Object.freeze([]);

/** Every requirement of a route: one per method, and its WebSocket handshake's where that is its own. */
export function requirementsOf(route: CompiledRoute): RequirementTemplate[] {
  const all = [...route.permissions.values()];
  if (route.handshake !== undefined && !all.includes(route.handshake)) all.push(route.handshake);
  return all;
}

function acceptedMethods(config: RouteConfig): HttpMethod[] {
  let methods: HttpMethod[];
  if (config.methods !== undefined) methods = [...config.methods];
  else if (config.permission?.kind === 'perMethod' && !config.permission.codes.has('*')) {
    methods = [...config.permission.codes.keys()] as HttpMethod[];
  } else methods = [...HTTP_METHODS];
  // HEAD is GET without a body (RFC 9110 §9.3.2): accepted wherever GET is, with GET's permission.
  if (methods.includes('GET') && !methods.includes('HEAD')) methods.push('HEAD');
  return methods;
}

function requirementOf(config: RouteConfig, method: HttpMethod): Requirement | undefined {
  const permission = config.permission;
  if (permission === undefined) return undefined;
  if (permission.kind === 'single') return permission.requirement;
  return permission.codes.get(method) ?? (method === 'HEAD' ? permission.codes.get('GET') : undefined) ?? permission.codes.get('*');
}

/** Throws TemplateError for a code that is not a valid template over these parameters. */
function templateOf(requirement: Requirement, params: ReadonlySet<string>): RequirementTemplate {
  const templates = requirement.codes.map((code) => PermissionTemplate.parse(code, params));
  return { mode: requirement.mode, templates, source: requirement.codes.join(requirement.mode === 'all' ? '&' : '|') };
}

export interface RouteTableResult {
  readonly table?: RouteTable;
  readonly issues: ConfigIssue[];
}

/** Compiles validated routes. Case-insensitive gateways compile patterns in lower case, as paths are matched. */
export function compileRouteTable(
  routes: readonly RouteConfig[],
  upstreams: ReadonlyMap<string, UpstreamConfig>,
  options: { caseInsensitive: boolean },
): RouteTableResult {
  const issues: ConfigIssue[] = [];
  const trie = new RouteTrie<RouteSlot>();
  const compiled: CompiledRoute[] = [];
  const issue = (index: number, key: string, message: string, hint?: string): void => {
    const route = routes[index]!;
    const location = key === 'path' || key === 'permission' ? route.keyLocations[key] : route.location;
    issues.push({ location, keyPath: `routes[${index}]${key ? '.' + key : ''}`, message, hint });
  };

  routes.forEach((config, index) => {
    let segments: PatternSegment[];
    try {
      segments = parsePattern(options.caseInsensitive ? config.path.toLowerCase() : config.path);
    } catch (err) {
      if (err instanceof PatternError) return issue(index, 'path', `${config.path}: ${err.message}`);
      throw err;
    }
    const paramIndex = new Map<string, number>();
    segments.forEach((segment, i) => segment.kind === 'param' && paramIndex.set(segment.name, i));
    const params = new Set(paramIndex.keys());
    for (const name of config.params.keys()) {
      if (!params.has(name)) issue(index, `params.${name}`, `names no parameter of ${config.path}`);
    }
    if (config.tenantParam !== undefined && !params.has(config.tenantParam)) {
      issue(index, 'tenantParam', `names no parameter of ${config.path}`, `the path needs a :${config.tenantParam} segment`);
    }
    const methods = acceptedMethods(config);
    const permissions = new Map<HttpMethod, RequirementTemplate>();
    for (const method of methods) {
      const requirement = requirementOf(config, method);
      if (requirement === undefined) continue;
      try {
        permissions.set(method, templateOf(requirement, params));
      } catch (err) {
        if (err instanceof TemplateError) return issue(index, 'permission', err.message, err.hint);
        throw err;
      }
    }
    let handshake = config.websocket === undefined ? undefined : permissions.get('GET');
    const websocket = config.permission?.kind === 'perMethod' ? config.permission.websocket : undefined;
    if (config.websocket !== undefined && websocket !== undefined) {
      try {
        handshake = templateOf(websocket, params);
      } catch (err) {
        if (err instanceof TemplateError) return issue(index, 'permission', err.message, err.hint);
        throw err;
      }
    }
    const upstream = upstreams.get(config.upstream);
    if (upstream === undefined) return; // reported by validation
    const route: CompiledRoute = { index, pattern: config.path, config, upstream, methods: new Set(methods), permissions, handshake, paramIndex };
    const slot: RouteSlot = { routes: [route], byMethod: new Map(methods.map((m) => [m, route])), allow: '' };
    const existing = trie.insert(segments, slot);
    if (existing !== undefined) {
      const clash = methods.filter((m) => existing.byMethod.has(m));
      if (clash.length > 0) {
        const other = existing.byMethod.get(clash[0]!)!;
        return issue(
          index,
          'path',
          `${config.path} and routes[${other.index}] (${other.pattern}) match the same requests for ${clash.join(', ')}, and nothing decides which wins`,
          'merge them into one route, or give them disjoint `methods`',
        );
      }
      existing.routes.push(route);
      for (const m of methods) existing.byMethod.set(m, route);
    }
    compiled.push(route);
    (existing ?? slot).allow = [...(existing ?? slot).byMethod.keys()].join(', ');
  });
  if (issues.length > 0) return { issues };
  return { table: new RouteTable(trie, compiled), issues };
}


