// The long connections open on this instance (proxied WebSockets, and responses in flight on websocket routes), each
// with the caller, token and requirement that let it in, so each ends the moment its access does (issue 13): at the
// token's `exp` (a timer), when a revocation reaches this instance's mirror (made here or announced by another
// instance), and when an RBAC change takes the route's permission away (re-decided at once). A sweep every second
// re-checks all of them as a safety net. Also the bound on open WebSockets per caller and per client address on this
// instance (shared-connection-counts.ts adds the count across instances).
import type { RevocationChange } from '../auth/revocation-list.js';
import type { VerifiedToken } from '../auth/claims.js';
import type { ConnectionLimits } from '../config/rate-limit-types.js';
import { GatewayError } from '../errors.js';
import { addressBucket } from '../ratelimit/rate-limiter.js';
import type { AuthorizationRequest, Authorizer } from '../rbac/authorizer.js';
import type { PermissionsChanged } from '../rbac/rbac-authorizer.js';

/** Why access ended; the close frame's reason says it in words (ACCESS_END_TEXT). */
export type AccessEnd = 'token-expired' | 'token-revoked' | 'subject-revoked' | 'permission-withdrawn';

/** The reason sent in the 1008 close frame: short (a close reason holds at most 123 bytes) and free of credentials. */
export const ACCESS_END_TEXT: Readonly<Record<AccessEnd, string>> = {
  'token-expired': 'token expired',
  'token-revoked': 'token revoked',
  'subject-revoked': 'subject revoked',
  'permission-withdrawn': 'permission withdrawn',
};

/** One open connection, as the registry knows it. */
export interface LiveConnection {
  /** A proxied WebSocket, or an HTTP response in flight (server-sent events, a long download) on a websocket route. */
  readonly kind: 'websocket' | 'response';
  /** The route pattern (a metric label). */
  readonly route: string;
  /** The client address it came from (IPv6 counted by its /64). */
  readonly address: string;
  /** The token that let it in; undefined on a public route (nothing to revoke or expire). */
  readonly token: VerifiedToken | undefined;
  /** The decision that let it in, asked again when permissions change; undefined on a public route. */
  readonly authorization: AuthorizationRequest | undefined;
  /** Ends the connection (both sides) for this reason; called at most once by the registry. */
  end(reason: AccessEnd): void;
  /** Ends the connection because the gateway is stopping. */
  shutdown(): void;
}

export interface SocketRegistryDeps {
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  /** Whether a token is revoked now (the revocation mirror); undefined while no config has `auth`. */
  readonly isRevoked: (token: VerifiedToken) => boolean | undefined;
  /** The authorizer in force (it outlives reloads). */
  readonly authorizer: () => Authorizer;
  /** How often every connection is checked again, whatever was announced. */
  readonly sweepInterval: number;
  /** A connection ended because its access did (after `end` was called). */
  readonly onAccessEnded?: (connection: LiveConnection, reason: AccessEnd) => void;
}

interface Entry {
  readonly connection: LiveConnection;
  readonly subject: string | undefined;
  readonly bucket: string;
  /** Counted against rateLimits.connections (WebSockets are; watched responses are not). */
  readonly counted: boolean;
  expiry: NodeJS.Timeout | undefined;
  ended: boolean;
}

/** setTimeout's longest delay; a token living longer is caught by a later sweep. */
const MAX_DELAY = 2 ** 31 - 1;

export class SocketRegistry {
  readonly #deps: SocketRegistryDeps;
  readonly #entries = new Map<LiveConnection, Entry>();
  readonly #bySubject = new Map<string, Set<Entry>>();
  /** Counted connections per subject and per address bucket. */
  readonly #perSubject = new Map<string, number>();
  readonly #byAddress = new Map<string, number>();
  #sweep: NodeJS.Timeout | undefined;

  constructor(deps: SocketRegistryDeps) {
    this.#deps = deps;
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * Registers a connection about to be opened, or answers 429 when its caller or address is at its bound. Counted
   * from here (before the upstream is asked), so a burst of handshakes cannot pass the bound while they connect.
   */
  admit(connection: LiveConnection, limits: ConnectionLimits | undefined): GatewayError | undefined {
    const subject = connection.token?.identity.subject;
    const bucket = addressBucket(connection.address);
    if (limits?.perSubject !== undefined && subject !== undefined && (this.#perSubject.get(subject) ?? 0) >= limits.perSubject) {
      return new GatewayError('PG_TOO_MANY_CONNECTIONS', { detail: `at most ${limits.perSubject} per caller` });
    }
    if (limits?.perAddress !== undefined && (this.#byAddress.get(bucket) ?? 0) >= limits.perAddress) {
      return new GatewayError('PG_TOO_MANY_CONNECTIONS', { detail: `at most ${limits.perAddress} per client address` });
    }
    this.#add(connection, true);
    return undefined;
  }

  /** Registers a connection that ends with its access but counts against no bound (a response in flight). */
  watch(connection: LiveConnection): void {
    this.#add(connection, false);
  }

  #add(connection: LiveConnection, counted: boolean): void {
    const subject = connection.token?.identity.subject;
    const bucket = addressBucket(connection.address);
    const entry: Entry = { connection, subject, bucket, counted, expiry: undefined, ended: false };
    this.#entries.set(connection, entry);
    if (subject !== undefined) {
      let set = this.#bySubject.get(subject);
      if (set === undefined) this.#bySubject.set(subject, (set = new Set()));
      set.add(entry);
      if (counted) this.#perSubject.set(subject, (this.#perSubject.get(subject) ?? 0) + 1);
    }
    if (counted) this.#byAddress.set(bucket, (this.#byAddress.get(bucket) ?? 0) + 1);
    const token = connection.token;
    if (token !== undefined) {
      entry.expiry = setTimeout(() => this.#end(entry, 'token-expired'), Math.min(MAX_DELAY, Math.max(0, token.exp * 1000 - this.#deps.now())));
      entry.expiry.unref();
    }
    this.#ensureSweep();
  }

  /** The connection is over (for whatever reason): it no longer counts. */
  remove(connection: LiveConnection): void {
    const entry = this.#entries.get(connection);
    if (entry === undefined) return;
    entry.ended = true;
    clearTimeout(entry.expiry);
    this.#entries.delete(connection);
    if (entry.subject !== undefined) {
      const set = this.#bySubject.get(entry.subject);
      set?.delete(entry);
      if (set?.size === 0) this.#bySubject.delete(entry.subject);
      if (entry.counted) decrement(this.#perSubject, entry.subject);
    }
    if (entry.counted) decrement(this.#byAddress, entry.bucket);
    if (this.#entries.size === 0) this.#stopSweep();
  }

  /** The connections open now. */
  connections(): LiveConnection[] {
    return [...this.#entries.keys()];
  }

  /** A revocation entered the mirror: the connections it may concern are checked now. */
  revocationChanged(change: RevocationChange): void {
    if (change.kind === 'subject') {
      for (const entry of [...(this.#bySubject.get(change.subject) ?? [])]) this.#checkRevoked(entry, 'subject-revoked');
      return;
    }
    for (const entry of [...this.#entries.values()]) {
      if (change.kind === 'all' || entry.connection.token?.jti === change.jti) this.#checkRevoked(entry);
    }
  }

  /** Permissions changed: the connections of that subject (or all) are decided again, and those now denied end. */
  permissionsChanged(changed: PermissionsChanged): void {
    const entries = changed === 'all' ? [...this.#entries.values()] : [...(this.#bySubject.get(changed.subject) ?? [])];
    for (const entry of entries) this.#decideAgain(entry);
  }

  /** Every connection checked again: expiry, revocation, permission. The safety net under the announcements. */
  sweep(): void {
    const nowSeconds = this.#deps.now() / 1000;
    for (const entry of [...this.#entries.values()]) {
      const token = entry.connection.token;
      if (token === undefined) continue;
      if (token.exp <= nowSeconds) this.#end(entry, 'token-expired');
      else if (!this.#checkRevoked(entry)) this.#decideAgain(entry);
    }
  }

  /** The gateway is stopping: every connection is ended (1001), and the sweep stops. */
  close(): void {
    for (const entry of [...this.#entries.values()]) {
      clearTimeout(entry.expiry);
      entry.connection.shutdown();
      this.remove(entry.connection);
    }
    this.#stopSweep();
  }

  /**
   * True when the connection was ended. `reason` is what the announcement said was revoked; a reload of the whole
   * mirror and the sweep cannot tell, and say the token.
   */
  #checkRevoked(entry: Entry, reason: AccessEnd = 'token-revoked'): boolean {
    const token = entry.connection.token;
    if (token === undefined || this.#deps.isRevoked(token) !== true) return false;
    this.#end(entry, reason);
    return true;
  }

  /**
   * Only a denial ends a connection: a decision that cannot be made now (the store is unreachable) leaves it open,
   * as a cached decision serves requests then; the next sweep asks again.
   */
  #decideAgain(entry: Entry): void {
    const request = entry.connection.authorization;
    if (request === undefined || entry.ended) return;
    let decision;
    try {
      decision = this.#deps.authorizer().authorize(request);
    } catch {
      return;
    }
    if (decision instanceof Promise) {
      decision.then((found) => !found.allowed && this.#end(entry, 'permission-withdrawn'), () => {});
    } else if (!decision.allowed) this.#end(entry, 'permission-withdrawn');
  }

  #end(entry: Entry, reason: AccessEnd): void {
    if (entry.ended) return;
    entry.ended = true;
    clearTimeout(entry.expiry);
    entry.connection.end(reason);
    this.#deps.onAccessEnded?.(entry.connection, reason);
    this.remove(entry.connection);
  }

  #ensureSweep(): void {
    if (this.#sweep !== undefined) return;
    this.#sweep = setInterval(() => this.sweep(), this.#deps.sweepInterval);
    this.#sweep.unref();
  }

  #stopSweep(): void {
    clearInterval(this.#sweep);
    this.#sweep = undefined;
  }
}

function decrement(counts: Map<string, number>, key: string): void {
  const left = (counts.get(key) ?? 1) - 1;
  if (left === 0) counts.delete(key);
  else counts.set(key, left);
}
