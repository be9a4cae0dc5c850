// The header set the upstream sees: the gateway owns it. Client-sent identity, forwarding, path- and method-override
// headers are removed, and the gateway's own are added last (SECURITY.md rule 7).
import type { ServerConfig } from '../config/types.js';

/** Headers a client may never set for the upstream, whatever their case. */
const ALWAYS_STRIPPED = [
  // hop-by-hop (RFC 9110 §7.6.1) and protocol switches: `Upgrade: h2c` must never reach a backend
  'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'http2-settings',
  // answered by the gateway's own server (100 Continue); the upstream gets the body as it streams
  'expect',
  'proxy-authorization', 'proxy-authenticate',
  // forwarding: rebuilt by the gateway from the socket
  'forwarded', 'x-real-ip', 'x-client-ip', 'true-client-ip', 'client-ip', 'cf-connecting-ip', 'x-cluster-client-ip', 'via',
  // path and method overrides that legacy frameworks honour
  'x-original-url', 'x-rewrite-url', 'x-original-uri', 'x-original-path', 'x-override-url',
  'x-http-method-override', 'x-http-method', 'x-method-override',
  // identity that legacy backends commonly trust
  'x-remote-user', 'remote-user', 'x-forwarded-user', 'x-roles', 'x-permissions', 'x-tenant', 'x-tenant-id',
  'x-authenticated-user', 'x-authenticated-userid', 'x-consumer-id', 'x-consumer-username', 'x-credential-identifier',
  // replaced by the gateway's own
  'x-request-id',
];
const ALWAYS_STRIPPED_PREFIXES = ['x-forwarded-', 'x-user-', 'x-auth-'];

export type HeaderMap = Record<string, string | string[] | undefined>;

/** What the gateway tells the upstream about this request. */
export interface ForwardingFacts {
  readonly requestId: string;
  readonly forwardedFor: string;
  readonly clientIp: string;
  readonly proto: string;
  readonly host: string | undefined;
  /** Identity headers, already named (lower case) and rendered; empty for an anonymous request. */
  readonly identity: Readonly<Record<string, string>>;
}

export class RequestHeaderPolicy {
  readonly #stripped: ReadonlySet<string>;
  readonly #prefixes: readonly string[];

  constructor(server: Pick<ServerConfig, 'identityHeaders' | 'stripHeaders'>) {
    const exact = new Set(ALWAYS_STRIPPED);
    const prefixes = [...ALWAYS_STRIPPED_PREFIXES];
    for (const name of Object.values(server.identityHeaders)) exact.add(name.toLowerCase());
    for (const name of server.stripHeaders) {
      if (name.endsWith('*')) prefixes.push(name.slice(0, -1).toLowerCase());
      else exact.add(name.toLowerCase());
    }
    this.#stripped = exact;
    this.#prefixes = prefixes;
  }

  /** Whether a client-sent header name is dropped. Names with `_` go too: some servers read them as `-`. */
  strips(name: string): boolean {
    const lower = name.toLowerCase();
    if (lower.includes('_') || this.#stripped.has(lower)) return true;
    for (const prefix of this.#prefixes) if (lower.startsWith(prefix)) return true;
    return false;
  }

  /**
   * Builds the upstream's headers from the client's. Headers the client's `Connection` names go first (RFC 9110
   * §7.6.1), before the gateway adds its own, so `Connection: x-auth-subject` cannot remove what is added here.
   */
  apply(incoming: HeaderMap, facts: ForwardingFacts, upstreamHost: string): HeaderMap {
    const out: HeaderMap = {};
    for (const name of Object.keys(incoming)) {
      if (!this.strips(name)) out[name] = incoming[name];
    }
    const connection = incoming.connection;
    if (connection !== undefined) {
      for (const listed of String(connection).split(',')) delete out[listed.trim().toLowerCase()];
    }
    out['x-forwarded-for'] = facts.forwardedFor;
    out['x-forwarded-proto'] = facts.proto;
    if (facts.host !== undefined) out['x-forwarded-host'] = facts.host;
    out['x-real-ip'] = facts.clientIp;
    out['x-request-id'] = facts.requestId;
    for (const name of Object.keys(facts.identity)) out[name] = facts.identity[name];
    out.host = upstreamHost;
    return out;
  }
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
