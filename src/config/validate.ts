// Checks the parsed YAML against the schema and builds the typed GatewayConfig. Collects every problem, not the first.
import { isIP } from 'node:net';
import { dirname, resolve as resolvePath } from 'node:path';
import type { ConfigIssue } from './config-error.js';
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
  type SourceLocation,
  type StoreConfig,
  type UpstreamConfig,
} from './types.js';
import { checkAdmin } from './validate-admin.js';
import { checkAuth } from './validate-auth.js';
import { checkRbac } from './validate-rbac.js';
import { checkBreaker, checkFallback } from './validate-resilience.js';
import { checkRateLimits, checkRouteRateLimit } from './validate-rate-limits.js';
import { checkForwardedHosts, checkUpstreamHeaders } from './validate-upstream-headers.js';

import { Checker, describe, type KeyPath, type Locate, type Plain } from './checker.js';

export type { Locate } from './checker.js';

const HEADER_NAME = /^[A-Za-z0-9-]+$/;

function checkServer(c: Checker, value: unknown): ServerConfig | undefined {
  const s = c.object(['server'], value ?? {}, ['listen', 'trustProxy', 'admin', 'paths', 'limits', 'timeouts', 'identityHeaders', 'stripHeaders', 'upstreamHeaders', 'forwardedHosts', 'logLevel', 'accessLog', 'logs', 'drainTimeout']);
  if (!s) return undefined;
  const listen = c.object(['server', 'listen'], s.listen ?? {}, ['host', 'port']);
  const limits = c.object(['server', 'limits'], s.limits ?? {}, ['urlLength', 'headerSize', 'bodySize', 'inFlight', 'connections', 'bodyBuffer', 'uploadsPerClient']);
  const timeouts = c.object(['server', 'timeouts'], s.timeouts ?? {}, ['headers', 'idle', 'request', 'bodyIdle', 'send']);
  const identity = c.object(['server', 'identityHeaders'], s.identityHeaders ?? {}, ['subject', 'roles', 'tenant']);
  const trustProxy = (c.list(['server', 'trustProxy'], s.trustProxy) ?? []).map((entry, index) => {
    const text = c.string(['server', 'trustProxy', index], entry);
    if (text !== undefined && !isCidr(text)) {
      return c.fail(['server', 'trustProxy', index], `"${text}" is not an IP address or CIDR`, 'e.g. 10.0.0.0/8 or 127.0.0.1; trusting every peer is not offered');
    }
    return text;
  });
  const header = (key: string, fallback: string): string | undefined => {
    const name = c.string(['server', 'identityHeaders', key], identity?.[key], { fallback });
    if (name !== undefined && !HEADER_NAME.test(name)) return c.fail(['server', 'identityHeaders', key], 'a header name holds letters, digits and -');
    return name?.toLowerCase();
  };
  const stripHeaders = (c.list(['server', 'stripHeaders'], s.stripHeaders) ?? []).map((entry, index) => {
    const name = c.string(['server', 'stripHeaders', index], entry);
    if (name !== undefined && !/^[A-Za-z0-9_-]+\*?$/.test(name)) return c.fail(['server', 'stripHeaders', index], 'a header name, optionally ending in * for a prefix');
    return name?.toLowerCase();
  });
  const server = {
    listen: {
      host: c.string(['server', 'listen', 'host'], listen?.host, { fallback: '0.0.0.0' }),
      port: c.integer(['server', 'listen', 'port'], listen?.port, 0, 65535, 8080),
    },
    trustProxy,
    admin: checkAdmin(c, s.admin),
    paths: checkPaths(c, s.paths),
    logs: checkLogs(c, s.logs),
    limits: {
      urlLength: c.integer(['server', 'limits', 'urlLength'], limits?.urlLength, 64, 65536, 8192),
      headerSize: c.size(['server', 'limits', 'headerSize'], limits?.headerSize, 16 * 1024),
      bodySize: c.size(['server', 'limits', 'bodySize'], limits?.bodySize, 10 * 1024 * 1024),
      inFlight: c.integer(['server', 'limits', 'inFlight'], limits?.inFlight, 1, 1_000_000, 10_000),
      // Defaults and why: README "Limits and timeouts" (nginx and Envoy compared there).
      connections: c.integer(['server', 'limits', 'connections'], limits?.connections, 1, 1_000_000, 10_000),
      bodyBuffer: c.size(['server', 'limits', 'bodyBuffer'], limits?.bodyBuffer, 1024 * 1024),
      uploadsPerClient: c.integer(['server', 'limits', 'uploadsPerClient'], limits?.uploadsPerClient, 1, 100_000, 4),
    },
    timeouts: {
      headers: positive(c, ['server', 'timeouts', 'headers'], timeouts?.headers, 10_000),
      idle: positive(c, ['server', 'timeouts', 'idle'], timeouts?.idle, 75_000),
      request: positive(c, ['server', 'timeouts', 'request'], timeouts?.request, 60_000),
      bodyIdle: positive(c, ['server', 'timeouts', 'bodyIdle'], timeouts?.bodyIdle, 30_000),
      send: positive(c, ['server', 'timeouts', 'send'], timeouts?.send, 60_000),
    },
    drainTimeout: c.duration(['server', 'drainTimeout'], s.drainTimeout, 30_000),
    identityHeaders: {
      subject: header('subject', 'X-Auth-Subject'),
      roles: header('roles', 'X-Auth-Roles'),
      tenant: header('tenant', 'X-Auth-Tenant'),
    },
    stripHeaders,
    forwardedHosts: checkForwardedHosts(c, ['server', 'forwardedHosts'], s.forwardedHosts),
    logLevel: c.oneOf(['server', 'logLevel'], s.logLevel, ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    accessLog: c.boolean(['server', 'accessLog'], s.accessLog, false),
  };
  const identityNames = Object.values(server.identityHeaders).filter((name): name is string => name !== undefined);
  Object.assign(server, { upstreamHeaders: checkUpstreamHeaders(c, ['server', 'upstreamHeaders'], s.upstreamHeaders, identityNames) ?? new Map() });
  return server as unknown as ServerConfig; // fields left undefined above have an issue recorded, and the config is refused
}

/** A timeout of zero would mean "never" to Node's http server: every one of these is bounded. */
function positive(c: Checker, path: KeyPath, value: unknown, fallback: number): number | undefined {
  const ms = c.duration(path, value, fallback);
  if (ms !== undefined && ms <= 0) return c.fail(path, 'must be longer than 0', 'every client timeout is bounded');
  return ms;
}

function isCidr(text: string): boolean {
  const [address, prefix, extra] = text.split('/');
  if (extra !== undefined || address === undefined) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d+$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/** `store.path` when the config does not say: next to the config file. */
export const DEFAULT_STATE_FILE = 'permgate-state.db';

function checkStore(c: Checker, value: unknown, file: string): StoreConfig {
  const s = c.object(['store'], value ?? {}, ['redis', 'commandTimeout', 'path', 'audit']) ?? {};
  let redis = c.string(['store', 'redis'], s.redis, { fallback: '', allowEmpty: true });
  if (redis === '') redis = undefined;
  if (redis !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(redis);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:')) {
      c.fail(['store', 'redis'], 'expected a redis:// or rediss:// URL', 'leave it empty for the embedded store (store.path)');
    }
  }
  const named = c.string(['store', 'path'], s.path, { fallback: DEFAULT_STATE_FILE }) ?? DEFAULT_STATE_FILE;
  const audit = c.object(['store', 'audit'], s.audit ?? {}, ['changes', 'denials']) ?? {};
  return {
    redis,
    commandTimeout: c.duration(['store', 'commandTimeout'], s.commandTimeout, 50)!,
    path: named === 'memory' ? undefined : resolvePath(dirname(file), named),
    audit: {
      changes: c.integer(['store', 'audit', 'changes'], audit.changes, 100, 10_000_000, 100_000)!,
      denials: c.integer(['store', 'audit', 'denials'], audit.denials, 100, 1_000_000, 10_000)!,
    },
  };
}

function checkUpstreams(c: Checker, value: unknown): Map<string, UpstreamConfig> {
  const upstreams = new Map<string, UpstreamConfig>();
  if (value === undefined || value === null) {
    c.fail(['upstreams'], 'is required', 'name at least one backend: upstreams: { orders: { url: http://127.0.0.1:9001 } }');
    return upstreams;
  }
  const all = c.object(['upstreams'], value, Object.keys(value as object));
  for (const [name, raw] of Object.entries(all ?? {})) {
    const path = ['upstreams', name];
    const u = c.object(path, raw, ['url', 'timeout', 'connectTimeout', 'connections', 'preserveHost', 'breaker']);
    if (!u) continue;
    const text = c.string([...path, 'url'], u.url);
    let url: URL | undefined;
    if (text !== undefined) {
      try {
        url = new URL(text);
      } catch {
        url = undefined;
      }
      if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
        c.fail([...path, 'url'], `expected an http:// or https:// URL, got ${describe(text)}`);
        url = undefined;
      } else if (url.search || url.hash || url.username || url.password) {
        c.fail([...path, 'url'], 'an upstream URL holds no query, fragment or credentials');
        url = undefined;
      }
    }
    const upstream = {
      name,
      url,
      timeout: c.duration([...path, 'timeout'], u.timeout, 30_000),
      connectTimeout: c.duration([...path, 'connectTimeout'], u.connectTimeout, 5_000),
      connections: c.integer([...path, 'connections'], u.connections, 1, 10_000, 128),
      preserveHost: c.boolean([...path, 'preserveHost'], u.preserveHost, false),
      breaker: checkBreaker(c, [...path, 'breaker'], u.breaker),
    };
    if (upstream.url) upstreams.set(name, upstream as UpstreamConfig);
  }
  return upstreams;
}

const ROUTE_KEYS = ['path', 'upstream', 'auth', 'methods', 'permission', 'sensitive', 'params', 'bodyLimit', 'rateLimit', 'onStoreDown', 'tenantParam', 'breaker', 'fallback', 'requestBuffering', 'upstreamHeaders', 'forwardAuthorization'];

function checkRoute(c: Checker, raw: unknown, index: number, upstreams: ReadonlyMap<string, UpstreamConfig>, identityNames: readonly string[] = []): RouteConfig | undefined {
  const path: KeyPath = ['routes', index];
  const r = c.object(path, raw, ROUTE_KEYS);
  if (!r) return undefined;
  const pattern = c.string([...path, 'path'], r.path);
  const upstream = c.string([...path, 'upstream'], r.upstream);
  if (upstream !== undefined && !upstreams.has(upstream)) {
    const guess = closest(upstream, upstreams.keys());
    c.fail([...path, 'upstream'], `names no upstream: "${upstream}"`, guess ? `did you mean "${guess}"?` : `upstreams: ${[...upstreams.keys()].join(', ') || 'none defined'}`);
  }
  const auth = c.oneOf([...path, 'auth'], r.auth, ['none', 'required'] as const, 'required');
  let methods: HttpMethod[] | undefined;
  if (r.methods !== undefined) {
    methods = [];
    const listed = c.list([...path, 'methods'], r.methods);
    for (const [i, m] of (listed ?? []).entries()) {
      const method = checkMethod(c, [...path, 'methods', i], m);
      if (method) methods.push(method);
    }
    if (listed?.length === 0) c.fail([...path, 'methods'], 'must name at least one method');
  }
  const permission = checkPermission(c, [...path, 'permission'], r.permission);
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
  const rawParams = r.params === undefined ? {} : c.object([...path, 'params'], r.params, Object.keys(r.params as object));
  for (const [name, grammar] of Object.entries(rawParams ?? {})) {
    const text = c.string([...path, 'params', name], grammar);
    if (text === undefined) continue;
    try {
      params.set(name, new RegExp(`^(?:${text})$`));
    } catch (err) {
      c.fail([...path, 'params', name], `is not a valid regular expression: ${(err as Error).message}`);
    }
  }
  const bodyLimit = r.bodyLimit === undefined ? undefined : c.size([...path, 'bodyLimit'], r.bodyLimit, 0);
  const tenantParam = r.tenantParam === undefined ? undefined : c.string([...path, 'tenantParam'], r.tenantParam);
  if (r.fallback !== undefined && r.fallback !== 'reject' && r.sensitive === true) {
    c.fail([...path, 'fallback'], 'a sensitive route fails closed (503) while its breaker is open, so a fallback would never be used', 'remove the fallback, or `sensitive: true`');
  }
  return {
    path: pattern!,
    upstream: upstream!,
    auth: auth!,
    methods,
    permission,
    sensitive: c.boolean([...path, 'sensitive'], r.sensitive, false)!,
    rateLimit: checkRouteRateLimit(c, [...path, 'rateLimit'], r.rateLimit),
    onStoreDown: r.onStoreDown === undefined ? undefined : c.oneOf([...path, 'onStoreDown'], r.onStoreDown, ['deny', 'allow-cached'] as const, 'deny'),
    params,
    bodyLimit,
    requestBuffering: c.boolean([...path, 'requestBuffering'], r.requestBuffering, true)!,
    breaker: r.breaker === undefined ? undefined : checkBreaker(c, [...path, 'breaker'], r.breaker),
    fallback: checkFallback(c, [...path, 'fallback'], r.fallback),
    tenantParam,
    upstreamHeaders: auth === 'none' && r.upstreamHeaders !== undefined
      ? c.fail([...path, 'upstreamHeaders'], 'a public route (auth: none) has no caller or decision to describe', 'remove it, or require authentication')
      : checkUpstreamHeaders(c, [...path, 'upstreamHeaders'], r.upstreamHeaders, identityNames),
    forwardAuthorization: c.boolean([...path, 'forwardAuthorization'], r.forwardAuthorization, false)!,
    location: c.locate(path),
    keyLocations: { path: c.locate([...path, 'path']), permission: c.locate([...path, 'permission']) },
  };
}

function checkMethod(c: Checker, path: KeyPath, value: unknown): HttpMethod | undefined {
  if (typeof value === 'string' && (HTTP_METHODS as readonly string[]).includes(value)) return value as HttpMethod;
  const guess = typeof value === 'string' ? closest(value.toUpperCase(), HTTP_METHODS) : undefined;
  return c.fail(path, `expected an HTTP method (${HTTP_METHODS.join(', ')}), got ${describe(value)}`, guess ? `did you mean "${guess}"?` : undefined);
}

/** `code`, `[a, b]` (all of them), `{ all: [a, b] }` or `{ any: [a, b] }`. */
function checkRequirement(c: Checker, path: KeyPath, value: unknown): Requirement | undefined {
  if (typeof value === 'string') return { mode: 'all', codes: [value] };
  let mode: 'all' | 'any' = 'all';
  let list: unknown = value;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length !== 1 || (keys[0] !== 'all' && keys[0] !== 'any')) {
      return c.fail(path, 'expected a code, a list of codes, { all: [...] } or { any: [...] }');
    }
    mode = keys[0] as 'all' | 'any';
    list = (value as Record<string, unknown>)[mode];
    path = [...path, mode];
  }
  const items = c.list(path, list);
  if (!items) return undefined;
  if (items.length === 0) return c.fail(path, 'names no permission code');
  const codes = items.flatMap((item, i) => c.string([...path, i], item) ?? []);
  return codes.length === items.length ? { mode, codes } : undefined;
}

function checkPermission(c: Checker, path: KeyPath, value: unknown): PermissionSpec | undefined {
  if (value === undefined || value === null) return undefined;
  const isMethodMap =
    typeof value === 'object' && !Array.isArray(value) && !Object.keys(value).some((key) => key === 'all' || key === 'any');
  if (!isMethodMap) {
    const requirement = checkRequirement(c, path, value);
    return requirement && { kind: 'single', requirement };
  }
  const map = c.object(path, value, [...HTTP_METHODS, '*']);
  if (!map) return undefined;
  const codes = new Map<HttpMethod | '*', Requirement>();
  for (const [method, code] of Object.entries(map)) {
    if (method !== '*' && !(HTTP_METHODS as readonly string[]).includes(method)) continue; // reported as unknown key
    const requirement = checkRequirement(c, [...path, method], code);
    if (requirement !== undefined) codes.set(method as HttpMethod | '*', requirement);
  }
  if (codes.size === 0) return c.fail(path, 'names no permission code');
  return { kind: 'perMethod', codes };
}

export interface ValidationResult {
  /** Present only when there is no issue at all. */
  readonly config?: GatewayConfig;
  /** What did validate, so later checks (the route table) can still report their own problems in the same run. */
  readonly partial: Pick<GatewayConfig, 'upstreams' | 'routes'> & { readonly caseInsensitive: boolean };
  readonly issues: ConfigIssue[];
}

/** Validates the whole document. */
export function validateConfig(file: string, value: unknown, locate: Locate): ValidationResult {
  const c = new Checker(locate);
  const top = c.object([], value ?? {}, ['server', 'store', 'upstreams', 'routes', 'auth', 'rateLimits', 'rbac']);
  if (!top) return { partial: { upstreams: new Map(), routes: [], caseInsensitive: false }, issues: c.issues };
  const server = checkServer(c, top.server);
  const auth = top.auth === undefined ? undefined : checkAuth(c, top.auth, file);
  if (server?.admin?.jwt && top.auth === undefined) c.fail(['server', 'admin', 'jwt'], 'JWT admins need an `auth` section to verify their tokens');
  const rateLimits = top.rateLimits === undefined ? undefined : checkRateLimits(c, top.rateLimits);
  const rbac = checkRbac(c, top.rbac);
  const store = checkStore(c, top.store, file);
  const upstreams = checkUpstreams(c, top.upstreams);
  const routes: RouteConfig[] = [];
  const rawRoutes = c.list(['routes'], top.routes) ?? [];
  if (top.routes === undefined || rawRoutes.length === 0) c.fail(['routes'], 'is required', 'map at least one route; every unmapped path is 404');
  rawRoutes.forEach((raw, index) => {
    const route = checkRoute(c, raw, index, upstreams, server ? Object.values(server.identityHeaders) : []);
    if (route) routes.push(route);
  });
  const partial = { upstreams, routes, caseInsensitive: server?.paths.caseInsensitive ?? false };
  if (c.issues.length > 0 || !server) return { partial, issues: c.issues };
  return { config: { file, server, store, upstreams, routes, auth, rateLimits, rbac }, partial, issues: [] };
}
