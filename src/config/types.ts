// The validated configuration: what every other module receives. Shapes here are the contract of gateway.config.yaml.
import type { AdminConfig } from './admin-types.js';
import type { AuthConfig, OnStoreDown } from './auth-types.js';
import type { DataListenerConfig, ListenConfig } from './listen-types.js';
import type { RateLimitConfig, RouteRateLimit } from './rate-limit-types.js';
import type { RbacConfig } from './rbac-types.js';
import type { ShadowConfig, ShadowStage } from './shadow-types.js';
import type { BreakerConfig, FallbackConfig } from './resilience-types.js';
import type { TracingConfig } from './tracing-types.js';
import type { UpstreamHeaders } from './upstream-header-types.js';
import type { UpstreamTls } from './upstream-tls-types.js';
import type { Milliseconds } from './units.js';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';
export const HTTP_METHODS: readonly HttpMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** Where a value came from, for error messages that point at the file. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** How request paths are canonicalized (routing/normalize-path.ts). */
export interface PathsConfig {
  /** Lower-case paths before matching and forwarding (case-folding backends). Default false (true with `windows`). */
  readonly caseInsensitive: boolean;
  /** Refuse the forms IIS / ASP.NET resolve to another path (`admin.`, `(S(x))`, `::$DATA`, `ADMINI~1`). Default: caseInsensitive. */
  readonly windows: boolean;
}

export interface LogsConfig {
  /** Refusal lines written per second per instance; the rest are counted and summed up once a second. Default 10. */
  readonly refusalsPerSecond: number;
  /** Client-controlled fields (path, subject, ...) are cut to this many characters, with a marker. Default 256. */
  readonly fieldLength: number;
}

export interface ServerConfig {
  /** The data plane's listeners, in the order written; at least one. */
  readonly listeners: readonly DataListenerConfig[];
  /** CIDRs whose X-Forwarded-For and X-Request-Id are believed. Empty: the socket peer is the client. */
  readonly trustProxy: readonly string[];
  /** The admin listener and who may call the admin API (admin-types.ts). */
  readonly admin: AdminConfig;
  readonly paths: PathsConfig;
  /** Refusal log lines: how many per second, and how long an attacker-controlled field may be (issue 10 §1). */
  readonly logs: LogsConfig;
  readonly limits: {
    readonly urlLength: number;
    readonly headerSize: number;
    readonly bodySize: number;
    /** Requests being handled at once; beyond it, 503 at arrival rather than a process that falls over. */
    readonly inFlight: number;
    /** Open client connections; beyond it, a new connection is closed at once (Node's server.maxConnections). */
    readonly connections: number;
    /**
     * Request bodies up to this size are read whole before an upstream connection is taken (nginx's
     * proxy_request_buffering), so a slow client holds no upstream connection. Larger bodies stream.
     */
    readonly bodyBuffer: number;
    /** Streamed (unbuffered) uploads one client address may have open at once; beyond it, 429. */
    readonly uploadsPerClient: number;
  };
  /** How long a client may take; see server/http-server.ts for how each maps onto Node's http server. */
  readonly timeouts: {
    /** From the connection (or the end of the previous request) to the end of the request headers (408). */
    readonly headers: Milliseconds;
    /** A keep-alive connection with no request in progress is closed after this long. */
    readonly idle: Milliseconds;
    /** From the end of the headers to the end of the request body (408). */
    readonly request: Milliseconds;
    /** The longest pause between two chunks of a request body (408). */
    readonly bodyIdle: Milliseconds;
    /** How long a client may leave the response unread (backpressure) before the connection is closed. */
    readonly send: Milliseconds;
  };
  /** The read-only status listener (/healthz, /readyz, /metrics, no token); undefined: off (issue 12). */
  readonly status: ListenConfig | undefined;
  /**
   * On SIGTERM/SIGINT, /readyz turns 503 at once while requests are still served (each answer with
   * `Connection: close`) this long, so load balancers stop sending before the listener stops accepting.
   */
  readonly drainDelay: Milliseconds;
  /** On SIGTERM/SIGINT, in-flight requests get this long to finish before the process exits anyway. */
  readonly drainTimeout: Milliseconds;
  /** Worker processes sharing the data-plane listener under one supervising primary (src/fleet/); 1: no primary. */
  readonly workers: number | 'auto';
  /**
   * SO_REUSEPORT on the data listeners (server/reuse-port.ts): in a fleet each worker then binds a socket of its own
   * instead of sharing the primary's; `auto`: in a fleet, where this Node has it.
   */
  readonly reusePort: boolean | 'auto';
  /** Names of the identity headers the gateway sets for the upstream (and strips from every client request). */
  readonly identityHeaders: { readonly subject: string; readonly roles: string; readonly tenant: string };
  /** More client header names to strip, on top of the built-in list (see upstream/request-headers.ts). */
  readonly stripHeaders: readonly string[];
  /** Headers added for the upstream from claims and the decision, on every authenticated route. Default: none. */
  readonly upstreamHeaders: UpstreamHeaders;
  /** Client Host values passed on as X-Forwarded-Host (lower case). Default: none, so X-Forwarded-Host is never sent. */
  readonly forwardedHosts: readonly string[];
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** One structured log line per request. Off by default, as in Envoy: denials and errors are logged anyway. */
  readonly accessLog: boolean;
}

/** `store.redis` as an object (issue 12): a Sentinel group, or a Cluster's seed nodes (`host:port` each). */
export type RedisTopologyConfig =
  | {
      readonly sentinels: readonly string[];
      readonly name: string;
      readonly username?: string;
      readonly password?: string;
      readonly sentinelPassword?: string;
      readonly tls?: boolean;
      readonly cluster?: never;
    }
  | { readonly cluster: readonly string[]; readonly username?: string; readonly password?: string; readonly tls?: boolean; readonly sentinels?: never };

export interface StoreConfig {
  /** A redis:// or rediss:// URL, a Sentinel group or a Cluster; undefined for the embedded store. */
  readonly redis: string | RedisTopologyConfig | undefined;
  /** Each Redis command on the request path gives up after this long. */
  readonly commandTimeout: Milliseconds;
  /**
   * The embedded store's SQLite file, absolute (a relative `store.path` is resolved against the config file's
   * directory); undefined for `store.path: memory` (kept in memory, lost on restart). Unused with `redis`.
   */
  readonly path: string | undefined;
  /** How many audit entries of each kind are kept: admin changes, and sampled denials in their own ring. */
  readonly audit: { readonly changes: number; readonly denials: number };
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
  /** TLS to an https:// upstream (its `tls`, or the defaults without one); undefined for http://. */
  readonly tls: UpstreamTls | undefined;
}

/** Codes a request must hold: every one of them (`all`), or at least one (`any`). Templates, as written. */
export interface Requirement {
  readonly mode: 'all' | 'any';
  readonly codes: readonly string[];
}

/** Raw permission spec of a route, as written: one requirement for every method, or one per method (`*`: the rest). */
export type PermissionSpec =
  | { readonly kind: 'single'; readonly requirement: Requirement }
  | {
      readonly kind: 'perMethod';
      readonly codes: ReadonlyMap<HttpMethod | '*', Requirement>;
      /** The `WEBSOCKET` key: what a WebSocket handshake needs on a websocket route (default: the GET requirement). */
      readonly websocket?: Requirement | undefined;
    };

/** A route's `websocket`: its handshakes are proxied (after the whole journey), within these bounds. */
export interface WebSocketRouteConfig {
  /** Largest message either side may send, in bytes; a larger one closes the socket with 1009. */
  readonly maxPayload: number;
  /** The client is pinged this often; one that has not answered the previous ping by the next is cut off. */
  readonly pingInterval: Milliseconds;
}

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
  /** Read the body whole (up to `server.limits.bodyBuffer`) before forwarding; false: stream it as it arrives. */
  readonly requestBuffering: boolean;
  /** A breaker of this route's own, instead of its upstream's. */
  readonly breaker: BreakerConfig | undefined;
  /** What the route answers while its breaker is open (sensitive routes: always 503). */
  readonly fallback: FallbackConfig;
  /** The path parameter that names the request's tenant; undefined: the token's tenant claim. */
  readonly tenantParam: string | undefined;
  /** This route's own `upstreamHeaders`, added to (or replacing by name) the server's. */
  readonly upstreamHeaders: UpstreamHeaders | undefined;
  /** Pass the caller's Authorization header on to the upstream (default false: the gateway has decided). */
  readonly forwardAuthorization: boolean;
  /** Set when the route proxies WebSockets (`websocket`); undefined: an Upgrade is stripped, served as a plain request. */
  readonly websocket: WebSocketRouteConfig | undefined;
  /** Stages that record instead of refusing on this route (its own `shadow`, else `shadow.stages`); empty: enforce. */
  readonly shadow: ReadonlySet<ShadowStage>;
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
  /** Absent: no tracing, and no OpenTelemetry module is loaded. */
  readonly tracing: TracingConfig | undefined;
  /** Always present: without a `shadow` section, every route enforces. */
  readonly shadow: ShadowConfig;
}
