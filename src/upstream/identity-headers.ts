// What the upstream is told about an authorized request: the identity headers (subject, the tenant the gateway
// authorized, the roles that held there) and the operator's `upstreamHeaders`, rendered from the decision rather
// than from the token, each value encoded by header-value.ts. Built once per config; rendering is a few lookups.
import { readClaim } from '../auth/claims.js';
import type { RouteConfig, ServerConfig } from '../config/types.js';
import type { HeaderSource, UpstreamHeaders } from '../config/upstream-header-types.js';
import type { Identity } from '../auth/identity.js';
import type { PermissionCode } from '../routing/permission-template.js';
import { encodeHeaderList, encodeHeaderValue } from './header-value.js';

/** Headers for the upstream; an undefined value removes a header (so a client's can never stand in for it). */
export type UpstreamAdditions = Readonly<Record<string, string | undefined>>;

/** What an allowed request was decided with. */
export interface DecidedRequest {
  readonly identity: Identity;
  /** The verified token's claims (for `claim:` sources); undefined for an identity that came without a token. */
  readonly claims: Readonly<Record<string, unknown>> | undefined;
  /** The tenant the request was authorized in. */
  readonly tenant: string | undefined;
  /** Roles that held there, without duplicates (the compiled permissions' own list: its encoding is cached). */
  readonly roles: readonly string[];
  readonly codes: readonly PermissionCode[];
  /** The caller's Authorization header, passed on only where the route sets `forwardAuthorization`. */
  readonly authorization: string | undefined;
}

/** A longer rendered value is left out (the header removed) rather than sent: upstreams cap header sizes too. */
const MAX_VALUE_LENGTH = 4096;
const NOTHING: UpstreamAdditions = Object.freeze({});

export class IdentityHeaderRenderer {
  readonly #names: ServerConfig['identityHeaders'];
  readonly #server: UpstreamHeaders;
  /** Server and route headers merged, per route config. */
  readonly #perRoute = new WeakMap<RouteConfig, readonly (readonly [string, HeaderSource])[]>();
  /** The encoded roles header per compiled role list (one list per compiled subject variant). */
  readonly #rolesHeader = new WeakMap<readonly string[], string>();
  /** The encoded subject per identity (an identity lives as long as its verified token is cached). */
  readonly #subjectHeader = new WeakMap<Identity, string>();

  constructor(server: Pick<ServerConfig, 'identityHeaders' | 'upstreamHeaders'>) {
    this.#names = server.identityHeaders;
    this.#server = server.upstreamHeaders;
  }

  /** A public route (auth: none): no identity, no configured headers; the Authorization header only if forwarded. */
  renderPublic(route: RouteConfig, authorization: string | undefined): UpstreamAdditions {
    return route.forwardAuthorization && authorization !== undefined ? { authorization } : NOTHING;
  }

  render(route: RouteConfig, decided: DecidedRequest): UpstreamAdditions {
    const names = this.#names;
    const out: Record<string, string | undefined> = {
      [names.subject]: this.#subject(decided.identity),
      [names.roles]: decided.roles.length > 0 ? this.#roles(decided.roles) : undefined,
      [names.tenant]: decided.tenant === undefined ? undefined : encodeHeaderValue(decided.tenant),
    };
    const extra = this.#headersOf(route);
    for (let i = 0; i < extra.length; i++) {
      const [name, source] = extra[i]!;
      const value = this.#value(source, decided);
      out[name] = value !== undefined && value.length <= MAX_VALUE_LENGTH ? value : undefined;
    }
    if (route.forwardAuthorization && decided.authorization !== undefined) out.authorization = decided.authorization;
    return out;
  }

  #subject(identity: Identity): string {
    let header = this.#subjectHeader.get(identity);
    if (header === undefined) {
      header = encodeHeaderValue(identity.subject);
      this.#subjectHeader.set(identity, header);
    }
    return header;
  }

  #roles(roles: readonly string[]): string {
    let header = this.#rolesHeader.get(roles);
    if (header === undefined) {
      header = encodeHeaderList(roles);
      this.#rolesHeader.set(roles, header);
    }
    return header;
  }

  #headersOf(route: RouteConfig): readonly (readonly [string, HeaderSource])[] {
    let merged = this.#perRoute.get(route);
    if (merged === undefined) {
      const all = new Map(this.#server);
      for (const [name, source] of route.upstreamHeaders ?? []) all.set(name, source);
      merged = [...all];
      this.#perRoute.set(route, merged);
    }
    return merged;
  }

  #value(source: HeaderSource, decided: DecidedRequest): string | undefined {
    switch (source.kind) {
      case 'subject':
        return this.#subject(decided.identity);
      case 'claim':
        return decided.claims === undefined ? undefined : claimValue(readClaim(decided.claims, source.path));
      case 'decision':
        if (source.what === 'tenant') return decided.tenant === undefined ? undefined : encodeHeaderValue(decided.tenant);
        if (source.what === 'roles') return decided.roles.length > 0 ? this.#roles(decided.roles) : undefined;
        return decided.codes.length > 0 ? encodeHeaderList(decided.codes) : undefined;
    }
  }
}

/**
 * A claim as a header value: a string, number or boolean as itself (encoded); a list of those, each encoded and
 * joined by `,`; anything else (an object, null, a mixed list) is left out.
 */
function claimValue(value: unknown): string | undefined {
  if (typeof value === 'string') return encodeHeaderValue(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean')) {
    return encodeHeaderList(value.map(String));
  }
  return undefined;
}
