// Checks the parsed YAML and builds the typed GatewayConfig, in two passes. The schema pass (schema/) fills the
// defaults and checks structure, types, ranges, formats and unknown keys; the semantic pass (this file and
// validate-*.ts) checks what a schema cannot say — URLs, cross-key rules, header names the gateway owns, role
// cycles — and converts values (durations to milliseconds, names to maps). Every problem is collected, not the
// first; where both passes speak of one key, the semantic pass's more specific message is kept.
import { dirname, resolve as resolvePath } from 'node:path';
import type { ConfigIssue } from './config-error.js';
import { formatKeyPath } from './config-error.js';
import { closest } from './suggest.js';
import { checkLogs, checkPaths } from './validate-paths-and-logs.js';
import {
  HTTP_METHODS,
  type GatewayConfig,
  type HttpMethod,
  type PermissionSpec,
  type Requirement,
  type RouteConfig,
  type ServerConfig,
  type RedisTopologyConfig,
  type StoreConfig,
  type UpstreamConfig,
  type WebSocketRouteConfig,
} from './types.js';
import { checkAdmin } from './validate-admin.js';
import { checkListeners } from './validate-listeners.js';
import { checkReusePort } from './validate-reuse-port.js';
import { checkAuth } from './validate-auth.js';
import { checkRbac } from './validate-rbac.js';
import { checkTracing } from './validate-tracing.js';
import { checkShadow, routeShadow } from './validate-shadow.js';
import type { ShadowStage } from './shadow-types.js';
import { checkBreaker, checkFallback } from './validate-resilience.js';
import { checkRateLimits, checkRouteRateLimit } from './validate-rate-limits.js';
import { checkForwardedHosts, checkUpstreamHeaders } from './validate-upstream-headers.js';
import { checkUpstreamTls } from './validate-upstream-tls.js';
import { bytes, Checker, describe, isPlain, ms, strings, type KeyPath, type Locate, type Plain } from './checker.js';
import type { ValidateFunction } from 'ajv';
import { validate as compiledValidator } from './schema/config-document-validator.js';
import { GatewayConfigSchema, type ConfigDocument } from './schema/gateway-config-schema.js';
import { prepareValue } from './schema/prepare-value.js';
import { schemaProblems } from './schema/schema-problems.js';
import type { SchemaNode } from './schema/schema-node.js';

export type { Locate } from './checker.js';
export { DEFAULT_STATE_FILE } from './schema/store-schema.js';

type Server = NonNullable<ConfigDocument['server']>;

function checkServer(c: Checker, s: Server, file: string): ServerConfig {
  const identity = s.identityHeaders!;
  const timeouts = s.timeouts!;
  const limits = s.limits!;
  const lower = (name: unknown): string => (typeof name === 'string' ? name.toLowerCase() : '');
  const identityHeaders = { subject: lower(identity.subject), roles: lower(identity.roles), tenant: lower(identity.tenant) };
  return {
    listeners: checkListeners(c, s.listen!, file),
    trustProxy: s.trustProxy!,
    admin: checkAdmin(c, s.admin!, file),
    paths: checkPaths(c, s.paths!),
    logs: checkLogs(s.logs!),
    limits: {
      urlLength: limits.urlLength!,
      headerSize: bytes(limits.headerSize)!,
      bodySize: bytes(limits.bodySize)!,
      inFlight: limits.inFlight!,
      connections: limits.connections!,
      bodyBuffer: bytes(limits.bodyBuffer)!,
      uploadsPerClient: limits.uploadsPerClient!,
    },
    timeouts: {
      headers: positive(c, ['server', 'timeouts', 'headers'], timeouts.headers)!,
      idle: positive(c, ['server', 'timeouts', 'idle'], timeouts.idle)!,
      request: positive(c, ['server', 'timeouts', 'request'], timeouts.request)!,
      bodyIdle: positive(c, ['server', 'timeouts', 'bodyIdle'], timeouts.bodyIdle)!,
      send: positive(c, ['server', 'timeouts', 'send'], timeouts.send)!,
    },
    status: s.status === undefined ? undefined : { host: s.status.host!, port: s.status.port! },
    drainDelay: ms(s.drainDelay)!,
    drainTimeout: ms(s.drainTimeout)!,
    workers: s.workers!,
    reusePort: s.reusePort!,
    identityHeaders,
    stripHeaders: strings(s.stripHeaders).map(lower),
    upstreamHeaders: checkUpstreamHeaders(c, ['server', 'upstreamHeaders'], s.upstreamHeaders, Object.values(identityHeaders)) ?? new Map(),
    forwardedHosts: checkForwardedHosts(s.forwardedHosts),
    logLevel: s.logLevel!,
    accessLog: s.accessLog!,
  };
}

/** A timeout of zero would mean "never" to Node's http server: every one of these is bounded. */
function positive(c: Checker, path: KeyPath, value: unknown): number | undefined {
  const duration = ms(value);
  if (duration !== undefined && duration <= 0) return c.fail(path, 'must be longer than 0', 'every client timeout is bounded');
  return duration;
}

function checkStore(c: Checker, s: NonNullable<ConfigDocument['store']>, file: string): StoreConfig {
  const redis = s.redis === '' ? undefined : (s.redis as string | RedisTopologyConfig);
  if (typeof redis === 'string') {
    const url = URL.parse(redis);
    if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:')) {
      c.fail(['store', 'redis'], 'expected a redis:// or rediss:// URL', 'leave it empty for the embedded store (store.path)');
    }
  }
  return {
    redis,
    commandTimeout: ms(s.commandTimeout)!,
    path: s.path === 'memory' ? undefined : resolvePath(dirname(file), s.path!),
    audit: { changes: s.audit!.changes!, denials: s.audit!.denials! },
  };
}

function upstreamUrl(c: Checker, path: KeyPath, text: unknown): URL | undefined {
  if (typeof text !== 'string') return undefined;
  const url = URL.parse(text);
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return c.fail(path, `expected an http:// or https:// URL, got ${describe(text)}`);
  if (url.search || url.hash || url.username || url.password) return c.fail(path, 'an upstream URL holds no query, fragment or credentials');
  return url;
}

function checkUpstreams(c: Checker, all: ConfigDocument['upstreams'] | undefined, file: string): Map<string, UpstreamConfig> {
  const upstreams = new Map<string, UpstreamConfig>();
  for (const [name, u] of Object.entries(isPlain(all) ? all : {})) {
    if (!isPlain(u)) continue;
    const path = ['upstreams', name];
    const url = upstreamUrl(c, [...path, 'url'], u.url);
    const breaker = checkBreaker(c, [...path, 'breaker'], u.breaker);
    if (url) {
      upstreams.set(name, {
        name,
        url,
        timeout: ms(u.timeout)!,
        connectTimeout: ms(u.connectTimeout)!,
        connections: u.connections!,
        preserveHost: u.preserveHost!,
        breaker,
        tls: checkUpstreamTls(c, path, url, u.tls, file),
      });
    }
  }
  return upstreams;
}

type RouteDocument = ConfigDocument['routes'][number];

function checkRoute(c: Checker, r: RouteDocument, index: number, upstreams: ReadonlyMap<string, UpstreamConfig>, identityNames: readonly string[], shadow: ReadonlySet<ShadowStage>): RouteConfig | undefined {
  if (!isPlain(r)) return undefined;
  const path: KeyPath = ['routes', index];
  const pattern = typeof r.path === 'string' ? r.path : undefined;
  const upstream = typeof r.upstream === 'string' && r.upstream !== '' ? r.upstream : undefined;
  if (upstream !== undefined && !upstreams.has(upstream)) {
    const guess = closest(upstream, upstreams.keys());
    c.fail([...path, 'upstream'], `names no upstream: "${upstream}"`, guess ? `did you mean "${guess}"?` : `upstreams: ${[...upstreams.keys()].join(', ') || 'none defined'}`);
  }
  const auth = r.auth!;
  const methods = Array.isArray(r.methods) ? (r.methods.filter((m) => HTTP_METHODS.includes(m as HttpMethod)) as HttpMethod[]) : undefined;
  const permission = permissionSpec(r.permission);
  if (auth === 'required' && r.permission === undefined) {
    c.fail(path, `route ${pattern ?? ''} requires authentication but names no permission`, 'add `permission: <code>`, or `auth: none` for a public route');
  }
  if (auth === 'none' && r.permission !== undefined) {
    c.fail([...path, 'permission'], 'a public route (auth: none) cannot require a permission', 'remove `auth: none` or the permission');
  }
  if (permission?.kind === 'perMethod' && methods !== undefined) {
    for (const method of methods) {
      if (!permission.codes.has(method) && !permission.codes.has('*') && !(method === 'HEAD' && permission.codes.has('GET'))) {
        c.fail([...path, 'permission'], `method ${method} is accepted but has no permission code`, `add ${method}: <code>, or "*": <code> for every other method`);
      }
    }
    for (const method of permission.codes.keys()) {
      if (method !== '*' && !methods.includes(method)) c.fail([...path, 'permission', method], `method ${method} is not in this route's methods`);
    }
  }
  const params = new Map<string, RegExp>();
  for (const [name, grammar] of Object.entries(isPlain(r.params) ? r.params : {})) {
    if (typeof grammar !== 'string') continue;
    try {
      params.set(name, new RegExp(`^(?:${grammar})$`));
    } catch (err) {
      c.fail([...path, 'params', name], `is not a valid regular expression: ${(err as Error).message}`);
    }
  }
  const websocket = checkWebSocket(c, path, r.websocket, methods, permission);
  if (r.fallback !== undefined && r.fallback !== 'reject' && r.sensitive === true) {
    c.fail([...path, 'fallback'], 'a sensitive route fails closed (503) while its breaker is open, so a fallback would never be used', 'remove the fallback, or `sensitive: true`');
  }
  return {
    path: pattern!,
    upstream: upstream!,
    auth,
    methods,
    permission,
    sensitive: r.sensitive!,
    rateLimit: checkRouteRateLimit(r.rateLimit),
    onStoreDown: r.onStoreDown,
    params,
    bodyLimit: r.bodyLimit === undefined ? undefined : bytes(r.bodyLimit),
    requestBuffering: r.requestBuffering!,
    breaker: r.breaker === undefined ? undefined : checkBreaker(c, [...path, 'breaker'], r.breaker),
    fallback: checkFallback(c, [...path, 'fallback'], r.fallback),
    tenantParam: r.tenantParam,
    upstreamHeaders: auth === 'none' && r.upstreamHeaders !== undefined
      ? c.fail([...path, 'upstreamHeaders'], 'a public route (auth: none) has no caller or decision to describe', 'remove it, or require authentication')
      : checkUpstreamHeaders(c, [...path, 'upstreamHeaders'], r.upstreamHeaders, identityNames),
    forwardAuthorization: r.forwardAuthorization!,
    websocket,
    shadow: routeShadow(c, index, r.shadow, shadow, { auth, sensitive: r.sensitive === true }),
    location: c.locate(path),
    keyLocations: { path: c.locate([...path, 'path']), permission: c.locate([...path, 'permission']) },
  };
}

/**
 * A route's `websocket`. The handshake is a GET: the route must accept GET, and a per-method permission must give GET
 * (or `*`) a code, so a plain GET on the route is never left without one. `WEBSOCKET` is only for websocket routes.
 */
function checkWebSocket(c: Checker, path: KeyPath, value: unknown, methods: readonly HttpMethod[] | undefined, permission: PermissionSpec | undefined): WebSocketRouteConfig | undefined {
  const named = permission?.kind === 'perMethod' && permission.websocket !== undefined;
  if (value === undefined || value === false) {
    if (named) c.fail([...path, 'permission', 'WEBSOCKET'], 'only a route with `websocket` has WebSocket handshakes', 'add `websocket: true`, or remove WEBSOCKET');
    return undefined;
  }
  if (methods !== undefined && !methods.includes('GET')) c.fail([...path, 'methods'], 'a WebSocket handshake is a GET: a websocket route must accept GET', 'add GET to methods');
  if (permission?.kind === 'perMethod' && !permission.codes.has('GET') && !permission.codes.has('*')) {
    c.fail([...path, 'permission'], 'a websocket route needs a code for GET (plain GETs reach it too)', 'add GET: <code> (the handshake uses it unless WEBSOCKET names another)');
  }
  const bounds = isPlain(value) ? value : {};
  return { maxPayload: bytes(bounds.maxPayload ?? '1mb')!, pingInterval: ms(bounds.pingInterval ?? '30s')! };
}

/** `code`, `[a, b]` (all of them), `{ all: [a, b] }` or `{ any: [a, b] }`, as the schema accepted it. */
function requirement(value: unknown): Requirement | undefined {
  if (typeof value === 'string') return { mode: 'all', codes: [value] };
  if (Array.isArray(value)) return { mode: 'all', codes: strings(value) };
  if (isPlain(value) && Array.isArray(value.all)) return { mode: 'all', codes: strings(value.all) };
  if (isPlain(value) && Array.isArray(value.any)) return { mode: 'any', codes: strings(value.any) };
  return undefined;
}

function permissionSpec(value: unknown): PermissionSpec | undefined {
  if (value === undefined) return undefined;
  if (!isPlain(value) || 'all' in value || 'any' in value) {
    const single = requirement(value);
    return single && { kind: 'single', requirement: single };
  }
  const codes = new Map<HttpMethod | '*', Requirement>();
  let websocket: Requirement | undefined;
  for (const [method, code] of Object.entries(value)) {
    const found = requirement(code);
    if (found !== undefined && method === 'WEBSOCKET') websocket = found;
    else if (found !== undefined && (method === '*' || HTTP_METHODS.includes(method as HttpMethod))) codes.set(method as HttpMethod | '*', found);
  }
  return { kind: 'perMethod', codes, websocket };
}

export interface ValidationResult {
  /** Present only when there is no issue at all. */
  readonly config?: GatewayConfig;
  /** What did validate, so later checks (the route table) can still report their own problems in the same run. */
  readonly partial: Pick<GatewayConfig, 'upstreams' | 'routes'> & { readonly caseInsensitive: boolean };
  readonly issues: ConfigIssue[];
}

/** The schema pass: defaults filled in, and every structural problem as an issue. */
function schemaPass(value: unknown, locate: Locate): { doc: ConfigDocument; issues: ConfigIssue[] } {
  const doc = prepareValue(GatewayConfigSchema as SchemaNode, value ?? {});
  const validate = compiledValidator as unknown as ValidateFunction; // GatewayConfigSchema, compiled by npm run schema
  validate(doc);
  const issues = schemaProblems(validate.errors, doc).map((p) => ({ location: locate(p.path, { key: p.key }), keyPath: formatKeyPath(p.path), message: p.message, hint: p.hint }));
  return { doc: (isPlain(doc) ? doc : {}) as ConfigDocument, issues };
}

/** Validates the whole document. */
export function validateConfig(file: string, value: unknown, locate: Locate): ValidationResult {
  const schema = schemaPass(value, locate);
  const top = schema.doc;
  const c = new Checker(locate);
  const rawAuth = isPlain(value) ? (value as Plain).auth : undefined;
  const sections = isPlain(top.server) && isPlain(top.store) && isPlain(top.rbac);
  const server = sections ? checkServer(c, top.server!, file) : undefined;
  const auth = isPlain(top.auth) ? checkAuth(c, top.auth, rawAuth, file) : undefined;
  if (server?.admin.jwt === true && top.auth === undefined) c.fail(['server', 'admin', 'jwt'], 'JWT admins need an `auth` section to verify their tokens');
  const rateLimits = isPlain(top.rateLimits) ? checkRateLimits(top.rateLimits) : undefined;
  const rbac = sections ? checkRbac(c, top.rbac!) : undefined;
  const tracing = isPlain(top.tracing) ? checkTracing(c, top.tracing) : undefined;
  const store = sections ? checkStore(c, top.store!, file) : undefined;
  // Workers of one instance share budgets and revocations only through a shared store (issue 12); `auto` too, so one
  // file does not pass on a one-core machine and fail on the next.
  if (server && store && server.workers !== 1 && store.redis === undefined) {
    c.fail(['server', 'workers'], 'more than one worker needs store.redis', 'each worker would keep its own rate-limit budgets and revocations; the embedded store is single-process');
  }
  if (server) checkReusePort(c, server);
  const shadow = checkShadow(c, isPlain(top.shadow) ? top.shadow : {});
  const upstreams = checkUpstreams(c, top.upstreams, file);
  const routes: RouteConfig[] = [];
  (Array.isArray(top.routes) ? top.routes : []).forEach((raw, index) => {
    const route = checkRoute(c, raw, index, upstreams, server ? Object.values(server.identityHeaders) : [], shadow.stages);
    if (route) routes.push(route);
  });
  const semantic = new Set(c.issues.map((issue) => issue.keyPath));
  const issues = [...schema.issues.filter((issue) => !semantic.has(issue.keyPath)), ...c.issues];
  const partial = { upstreams, routes, caseInsensitive: server?.paths.caseInsensitive ?? false };
  if (issues.length > 0 || !server || !store || !rbac) return { partial, issues };
  return { config: { file, server, store, upstreams, routes, auth, rateLimits, rbac, shadow, tracing }, partial, issues: [] };
}
