// The validated configuration: what every other module receives. Shapes here are the contract of gateway.config.yaml.
import type { AuthConfig, OnStoreDown } from './auth-types.js';
import type { RateLimitConfig, RouteRateLimit } from './rate-limit-types.js';
import type { RbacConfig } from './rbac-types.js';
import type { BreakerConfig, FallbackConfig } from './resilience-types.js';
import type { Milliseconds } from './units.js';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';
export const HTTP_METHODS: readonly HttpMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** Where a value came from, for error messages that point at the file. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

export interface ListenConfig {
  readonly host: string;
  readonly port: number;
}

export interface ServerConfig {
  readonly listen: ListenConfig;
  /** CIDRs whose X-Forwarded-For and X-Request-Id are believed. Empty: the socket peer is the client. */
  readonly trustProxy: readonly string[];
  /** `token`: the admin token (empty: none). `jwt`: people whose JWT subject holds `permgate:admin:…` codes may also call it. */
  readonly admin: ListenConfig & { readonly token: string; readonly jwt: boolean };
  readonly paths: { readonly caseInsensitive: boolean };
  readonly limits: {
    readonly urlLength: number;
    readonly headerSize: number;
    readonly bodySize: number;
    /** Requests being handled at once; beyond it, 503 at arrival rather than a process that falls over. */
    readonly inFlight: number;
  };
  /** On SIGTERM/SIGINT, in-flight requests get this long to finish before the process exits anyway. */
  readonly drainTimeout: Milliseconds;
  /** Names of the identity headers the gateway sets for the upstream (and strips from every client request). */
  readonly identityHeaders: { readonly subject: string; readonly roles: string; readonly tenant: string };
  /** More client header names to strip, on top of the built-in list (see upstream/request-headers.ts). */
  readonly stripHeaders: readonly string[];
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** One structured log line per request. Off by default, as in Envoy: denials and errors are logged anyway. */
  readonly accessLog: boolean;
}

export interface StoreConfig {
  /** redis:// URL, or undefined for the embedded in-memory store. */
  readonly redis: string | undefined;
  /** Each Redis command on the request path gives up after this long. */
  readonly commandTimeout: Milliseconds;
}

export interface UpstreamConfig {
  readonly name: string;
  /** Origin plus an optional base path that is put before every forwarded path. */
  readonly url: URL;
  readonly timeout: Milliseconds;
  readonly connectTimeout: Milliseconds;
  /** Upper bound of pooled keep-alive connections to this upstream. */
  readonly connections: number;
  /** Send the client's Host instead of the upstream's own (only for upstreams that route on it). */
  readonly preserveHost: boolean;
  /** The upstream's circuit breaker; undefined when `breaker: off`. */
  readonly breaker: BreakerConfig | undefined;
}

/** Codes a request must hold: every one of them (`all`), or at least one (`any`). Templates, as written. */
export interface Requirement {
  readonly mode: 'all' | 'any';
  readonly codes: readonly string[];
}

/** Raw permission spec of a route, as written: one requirement for every method, or one per method (`*`: the rest). */
export type PermissionSpec =
  | { readonly kind: 'single'; readonly requirement: Requirement }
  | { readonly kind: 'perMethod'; readonly codes: ReadonlyMap<HttpMethod | '*', Requirement> };

export interface RouteConfig {
  readonly path: string;
  readonly upstream: string;
  readonly auth: 'none' | 'required';
  /** Methods the route accepts; undefined: those its permission names, or all when it names one code. */
  readonly methods: readonly HttpMethod[] | undefined;
  readonly permission: PermissionSpec | undefined;
  /** Sensitive routes fail closed whenever a dependency is down, whatever else is configured. */
  readonly sensitive: boolean;
  /** This route's own rate-limit budgets; undefined: the `rateLimits` defaults. */
  readonly rateLimit: RouteRateLimit | undefined;
  /** Overrides `auth.revocation.onStoreDown` for this route. */
  readonly onStoreDown: OnStoreDown | undefined;
  /** Extra grammar per path parameter (an anchored regular expression). */
  readonly params: ReadonlyMap<string, RegExp>;
  readonly bodyLimit: number | undefined;
  /** A breaker of this route's own, instead of its upstream's. */
  readonly breaker: BreakerConfig | undefined;
  /** What the route answers while its breaker is open (sensitive routes: always 503). */
  readonly fallback: FallbackConfig;
  /** The path parameter that names the request's tenant; undefined: the token's tenant claim. */
  readonly tenantParam: string | undefined;
  readonly location: SourceLocation;
  /** Where `path` and `permission` stand, for the route table's own errors. */
  readonly keyLocations: { readonly path: SourceLocation; readonly permission: SourceLocation };
}

export interface GatewayConfig {
  readonly file: string;
  readonly server: ServerConfig;
  readonly store: StoreConfig;
  readonly upstreams: ReadonlyMap<string, UpstreamConfig>;
  readonly routes: readonly RouteConfig[];
  /** Absent: no caller can be authenticated, so every route that is not `auth: none` answers 401. */
  readonly auth: AuthConfig | undefined;
  /** Absent: no rate limits, unless a route sets its own `rateLimit`. */
  readonly rateLimits: RateLimitConfig | undefined;
  /** Always present: without an `rbac` section, the defaults with no static roles or subjects. */
  readonly rbac: RbacConfig;
}
