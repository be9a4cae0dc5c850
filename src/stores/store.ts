// The shared-state seam. Each stage that keeps state (revocations, counters, RBAC data, the audit trail) defines a
// small store interface beside itself; a store family — memory/, sqlite/ (the embedded default, kept across restarts)
// and redis/ (shared by every instance) — implements each of them, and its Store makes them. So the rest of the
// gateway asks the Store for its parts and never asks which family it is: a new family is one folder here.
import type { RevocationList } from '../auth/revocation-list.js';
import type { AuditTrail } from '../observability/audit-trail.js';
import type { GrantUsageStore } from '../privilege/grant-usage-store.js';
import type { RateLimitStore } from '../ratelimit/rate-limit-store.js';
import type { RbacStore } from '../rbac/rbac-store.js';
import type { ConnectionCountStore } from '../websocket/connection-count-store.js';

/** `sqlite`: the embedded store on a file; `memory`: embedded, kept nowhere (`store.path: memory`); `redis`: shared. */
export type StoreKind = 'memory' | 'sqlite' | 'redis';

export interface StoreStatus {
  readonly kind: StoreKind;
  /** True when commands can be served now. The embedded stores always are while open. */
  readonly ready: boolean;
  /** Why it is not ready, for /readyz. Never holds a URL or password. */
  readonly detail?: string;
}

/** Entries the audit trail keeps per kind (`store.audit`). */
export interface AuditCaps {
  readonly changes: number;
  readonly denials: number;
}

export interface RevocationListOptions {
  /** How often a shared list compares its version with the store's (`auth.revocation.syncInterval`). */
  readonly syncInterval: number;
  readonly now: () => number;
  /** The local mirror was reloaded whole (a gap in versions, a reconnect). */
  readonly onResync?: (reason: string) => void;
  /** A reload found the shared store had lost revocations the mirror holds; they were kept. */
  readonly onKept?: (kept: number) => void;
}

export interface RbacStoreOptions {
  /** How often a shared store compares its version with the store's (`rbac.syncInterval`). */
  readonly syncInterval: number;
  readonly now: () => number;
}

/** What the gateway is told about where its state lives, once, at start. */
export interface StoreNotice {
  readonly level: 'info' | 'warn';
  readonly message: string;
  readonly fields?: Readonly<Record<string, string>>;
}

export interface Store {
  readonly kind: StoreKind;
  /** True when other instances share this store: budgets then need a local share for when it cannot be reached. */
  readonly shared: boolean;
  status(): StoreStatus;
  /** Resolves when commands can be served, or rejects after `timeoutMs` saying why not. */
  ready(timeoutMs: number): Promise<void>;
  /** Calls `listener` when the store becomes unreachable (false) or reachable again (true); transitions only. */
  watch(listener: (reachable: boolean) => void): void;
  /** Where state is kept, for the start-up log; undefined when there is nothing to say. */
  notice(): StoreNotice | undefined;
  auditTrail(caps?: AuditCaps): AuditTrail;
  /** Not started: the caller starts it (and waits for its first sync). */
  revocationList(options: RevocationListOptions): RevocationList;
  /** Not started: the RBAC engine starts it with its change listener. */
  rbacStore(options: RbacStoreOptions): RbacStore;
  /** The budgets every instance shares; undefined when budgets live in this process only. */
  sharedRateLimits(): RateLimitStore | undefined;
  /** Open WebSockets counted across instances; absent or undefined when each instance counts its own. */
  sharedConnections?(): ConnectionCountStore | undefined;
  /** Which grants were last used when (the least-privilege report); written in batches, off the request path. */
  grantUsage(): GrantUsageStore;
  close(): Promise<void>;
}
