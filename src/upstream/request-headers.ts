// The header set the upstream sees: the gateway owns it. Client-sent identity, forwarding, client-address, path-,
// route- and method-override headers are removed by family, and the gateway's own are added last
// (docs/security-rules.md rule 7).
import type { UpstreamTraceHeaders } from '../tracing/request-tracer.js';
import type { ServerConfig } from '../config/types.js';

/**
 * Headers a client may never set for the upstream, whatever their case, by family: the README's table of stripped
 * headers lists the same families with why each is there. A backend, proxy or framework is known to read each of
 * these as the client's address, the original path or host, the matched route, the method, or the caller.
 */
export const STRIPPED_FAMILIES: readonly { readonly family: string; readonly exact: readonly string[]; readonly prefixes: readonly string[] }[] = [
  {
    // RFC 9110 §7.6.1, plus protocol switches: `Upgrade: h2c` must never reach a backend
    family: 'hop-by-hop',
    exact: ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'http2-settings', 'expect', 'proxy-authorization', 'proxy-authenticate'],
    prefixes: [],
  },
  {
    // rebuilt by the gateway from the socket (X-Forwarded-For, X-Real-IP) or not sent at all
    family: 'client address',
    exact: [
      'forwarded', 'forwarded-for', 'x-forwarded', 'x-real-ip', 'x-client-ip', 'client-ip', 'true-client-ip', 'x-true-client-ip',
      'cf-connecting-ip', 'cf-connecting-ipv6', 'cf-pseudo-ipv4', 'fastly-client-ip', 'x-cluster-client-ip', 'x-proxyuser-ip',
      'wl-proxy-client-ip', 'proxy-client-ip', 'x-originating-ip', 'x-remote-ip', 'x-remote-addr', 'remote-addr', 'x-azure-clientip',
      'x-azure-socketip', 'x-appengine-user-ip', 'x-arr-clientip', 'x-custom-ip-authorization', 'x-coming-from', 'x-client-ip-address',
      'akamai-client-ip', 'x-akamai-client-ip', 'x-envoy-external-address', 'x-wap-network-client-ip', 'via',
    ],
    prefixes: ['x-forwarded-', 'x-original-'],
  },
  {
    // the original path or host a framework may route on instead of the one the gateway authorized
    family: 'original path or host',
    exact: [
      'x-original-url', 'x-rewrite-url', 'x-original-uri', 'x-original-path', 'x-override-url', 'x-script-name', 'script-name',
      'x-host', 'x-http-host-override', 'x-forwarded-server', 'x-forwarded-host', 'x-forwarded-prefix', 'x-forwarded-path',
      'x-forwarded-uri', 'x-envoy-original-path', 'x-envoy-original-host', 'x-original-host', 'x-base-url', 'x-proxy-url', 'x-request-uri',
    ],
    prefixes: [],
  },
  {
    // what the matched route or an earlier hop decided: Envoy's internal headers, Next.js middleware and route
    // markers (CVE-2025-29927: x-middleware-subrequest skipped middleware auth)
    family: 'matched route',
    exact: ['x-matched-path', 'x-now-route-matches', 'x-middleware-subrequest', 'x-middleware-prefetch', 'x-invoke-path', 'x-invoke-query', 'x-invoke-output', 'x-invoke-status'],
    prefixes: ['x-envoy-'],
  },
  {
    // a method other than the one the gateway authorized
    family: 'method override',
    exact: ['x-http-method-override', 'x-http-method', 'x-method-override', 'x-original-method'],
    prefixes: [],
  },
  {
    // identity that backends or the proxies in front of them commonly trust: users, roles, and client certificates
    family: 'identity',
    exact: [
      'x-remote-user', 'remote-user', 'x-forwarded-user', 'x-roles', 'x-permissions', 'x-tenant', 'x-tenant-id', 'x-authenticated-user',
      'x-authenticated-userid', 'x-consumer-id', 'x-consumer-username', 'x-consumer-custom-id', 'x-credential-identifier',
      'x-anonymous-consumer', 'x-userinfo', 'x-id-token', 'x-access-token', 'x-email', 'x-preferred-username', 'x-client-cert',
      'x-ssl-client-cert', 'ssl-client-cert', 'x-client-verify', 'x-ssl-client-verify', 'x-arr-clientcert', 'client-cert',
      'client-cert-chain', 'x-forwarded-client-cert', 'x-forwarded-email', 'x-forwarded-preferred-username', 'x-forwarded-groups',
      'x-forwarded-access-token', 'cf-access-jwt-assertion', 'cf-access-authenticated-user-email', 'x-ms-client-principal',
      'x-ms-client-principal-id', 'x-ms-client-principal-name', 'x-ms-client-principal-idp', 'x-ms-token-aad-access-token',
      'x-ms-token-aad-id-token', 'x-amzn-oidc-data', 'x-amzn-oidc-identity', 'x-amzn-oidc-accesstoken',
      'x-goog-authenticated-user-email', 'x-goog-authenticated-user-id', 'x-goog-iap-jwt-assertion', 'x-apigateway-api-userinfo',
      'x-endpoint-api-userinfo', 'x-jwt-assertion', 'x-jwt-payload',
    ],
    prefixes: ['x-user-', 'x-auth-', 'x-ssl-client-', 'ssl-client-', 'x-amzn-oidc-', 'x-ms-client-principal', 'x-ms-token-', 'x-goog-authenticated-', 'cf-access-'],
  },
  {
    // replaced by the gateway's own; the caller's Authorization goes only where a route sets forwardAuthorization
    family: 'gateway-owned',
    exact: ['x-request-id', 'authorization'],
    prefixes: [],
  },
];

export type HeaderMap = Record<string, string | string[] | undefined>;

/** What the gateway tells the upstream about this request. */
export interface ForwardingFacts {
  readonly requestId: string;
  readonly forwardedFor: string;
  readonly clientIp: string;
  readonly proto: string;
  /** The client's Host, when well-formed; sent as X-Forwarded-Host only if `server.forwardedHosts` lists it. */
  readonly host: string | undefined;
  /**
   * Headers the pipeline adds (identity, `upstreamHeaders`, a forwarded Authorization), already named (lower case)
   * and encoded. An undefined value removes the header: a configured header whose source is absent still never
   * carries the client's value.
   */
  readonly identity: Readonly<Record<string, string | undefined>>;
  /**
   * With tracing on, the request's trace context: it replaces whatever traceparent and tracestate the client sent (an
   * invalid one is never passed on). Undefined with tracing off: the client's pass through untouched.
   */
  readonly trace?: UpstreamTraceHeaders | undefined;
}

/** Names the gateway sets itself: an operator's `upstreamHeaders` may not take them over. */
export const GATEWAY_SET = new Set(['host', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-real-ip', 'x-request-id', 'authorization', 'content-length', 'content-type', 'cookie']);

/** True for a name an operator may not use for an `upstreamHeaders` entry: hop-by-hop, gateway-set, or a name some backend reads as the client's address, path, route or method. */
export function isReservedUpstreamHeader(name: string): boolean {
  const lower = name.toLowerCase();
  if (GATEWAY_SET.has(lower)) return true;
  for (const family of STRIPPED_FAMILIES) {
    if (family.family === 'identity' || family.family === 'gateway-owned') continue;
    if (family.exact.includes(lower)) return true;
    for (const prefix of family.prefixes) if (lower.startsWith(prefix)) return true;
  }
  return false;
}

/**
 * Whether a name holds a character other than letters, digits and `-`. Such names are dropped: CGI-style servers
 * (Apache's and nginx's FastCGI variables, PHP, WSGI, Rack) turn `_`, `.` and other token characters into `_`, so
 * `X-Real.IP` or `X_Real_IP` would reach the application as X-Real-IP; nginx drops them by default
 * (`ignore_invalid_headers`). Expects a lower-case name.
 */
function unusualName(lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    const c = lower.charCodeAt(i);
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d)) return true;
  }
  return false;
}

export class RequestHeaderPolicy {
  readonly #stripped: ReadonlySet<string>;
  readonly #prefixes: readonly string[];
  /** Client Host values (lower case) that may be passed on as X-Forwarded-Host. */
  readonly #forwardedHosts: ReadonlySet<string>;
  /** The cookie a token may be read from (`auth.jwt.cookie`): a credential like Authorization, removed likewise. */
  readonly #tokenCookie: string | undefined;

  constructor(
    server: Pick<ServerConfig, 'identityHeaders' | 'stripHeaders'> & Partial<Pick<ServerConfig, 'upstreamHeaders' | 'forwardedHosts'>>,
    tokenCookie?: string,
  ) {
    this.#tokenCookie = tokenCookie;
    const exact = new Set<string>();
    const prefixes: string[] = [];
    for (const family of STRIPPED_FAMILIES) {
      for (const name of family.exact) exact.add(name);
      prefixes.push(...family.prefixes);
    }
    for (const name of Object.values(server.identityHeaders)) exact.add(name.toLowerCase());
    for (const name of server.upstreamHeaders?.keys() ?? []) exact.add(name);
    for (const name of server.stripHeaders) {
      if (name.endsWith('*')) prefixes.push(name.slice(0, -1).toLowerCase());
      else exact.add(name.toLowerCase());
    }
    this.#stripped = exact;
    this.#prefixes = prefixes;
    this.#forwardedHosts = new Set((server.forwardedHosts ?? []).map((host) => host.toLowerCase()));
  }

  /** Whether a client-sent header name is dropped: a stripped family, or a name other than letters, digits and `-`. */
  strips(name: string): boolean {
    const lower = name.toLowerCase();
    if (this.#stripped.has(lower) || unusualName(lower)) return true;
    for (const prefix of this.#prefixes) if (lower.startsWith(prefix)) return true;
    return false;
  }

  /**
   * Builds the upstream's headers from the client's. Headers the client's `Connection` names go first (RFC 9110
   * §7.6.1), before the gateway adds its own, so `Connection: x-auth-subject` cannot remove what is added here.
   */
  apply(incoming: HeaderMap, facts: ForwardingFacts, upstreamHost: string, forwardCredentials = false): HeaderMap {
    const out: HeaderMap = {};
    for (const name of Object.keys(incoming)) {
      if (!this.strips(name)) out[name] = incoming[name];
    }
    // The token's cookie goes on only where the route forwards credentials (`forwardAuthorization`), as the header does.
    if (this.#tokenCookie !== undefined && !forwardCredentials && typeof out.cookie === 'string') {
      const kept = withoutCookie(out.cookie, this.#tokenCookie);
      if (kept === '') delete out.cookie;
      else out.cookie = kept;
    }
    const connection = incoming.connection;
    if (connection !== undefined) {
      for (const listed of String(connection).split(',')) delete out[listed.trim().toLowerCase()];
    }
    out['x-forwarded-for'] = facts.forwardedFor;
    out['x-forwarded-proto'] = facts.proto;
    // The client's Host verbatim: only for hosts the operator listed (an upstream building links from it would
    // otherwise build them from whatever a client typed).
    if (facts.host !== undefined && this.#forwardedHosts.size > 0 && this.#forwardedHosts.has(facts.host.toLowerCase())) out['x-forwarded-host'] = facts.host;
    out['x-real-ip'] = facts.clientIp;
    out['x-request-id'] = facts.requestId;
    const trace = facts.trace;
    if (trace !== undefined) {
      out.traceparent = trace.traceparent;
      if (trace.tracestate === undefined) delete out.tracestate;
      else out.tracestate = trace.tracestate;
    }
    for (const name of Object.keys(facts.identity)) out[name] = facts.identity[name];
    out.host = upstreamHost;
    return out;
  }
}

/**
 * A Cookie header without the pairs named `name`.
 * @example withoutCookie('a=1; session=tok; b=2', 'session') → 'a=1; b=2'
 */
export function withoutCookie(header: string, name: string): string {
  if (!header.includes(name)) return header;
  return header
    .split(';')
    .filter((pair) => {
      const eq = pair.indexOf('=');
      return (eq === -1 ? pair : pair.slice(0, eq)).trim() !== name;
    })
    .map((pair) => pair.trim())
    .join('; ');
}

/**
 * Response headers that describe the upstream connection, not the response; and `x-request-id`, which the gateway
 * set for the client and an upstream must not replace.
 */
const HOP_BY_HOP_RESPONSE = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'proxy-authenticate', 'x-request-id']);

/** Also drops every header the upstream's own `Connection` names: hop-by-hop by declaration (RFC 9110 §7.6.1). */
export function stripResponseHopHeaders(headers: HeaderMap): HeaderMap {
  const out: HeaderMap = {};
  for (const name of Object.keys(headers)) if (!HOP_BY_HOP_RESPONSE.has(name)) out[name] = headers[name];
  const connection = headers.connection;
  // Most responses say `keep-alive` or `close`, which name nothing beyond the set above: no split for them.
  if (connection !== undefined && connection !== 'keep-alive' && connection !== 'close') {
    for (const listed of (Array.isArray(connection) ? connection.join(',') : connection).split(',')) delete out[listed.trim().toLowerCase()];
  }
  return out;
}
