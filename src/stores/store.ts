// The shared-state seam. Each stage that keeps state (revocations, counters, RBAC data, the audit trail) defines a
// small store interface beside itself and gets an implementation per family here — memory/, sqlite/ (the embedded
// default, kept across restarts) and redis/ (shared by every instance); this file holds what they share, and
// open-store.ts opens the one the config names.

/** `sqlite`: the embedded store on a file; `memory`: embedded, kept nowhere (`store.path: memory`); `redis`: shared. */
export type StoreKind = 'memory' | 'sqlite' | 'redis';

export interface StoreStatus {
  readonly kind: StoreKind;
  /** True when commands can be served now. The embedded stores always are while open. */
  readonly ready: boolean;
  /** Why it is not ready, for /readyz. Never holds a URL or password. */
  readonly detail?: string;
}

export interface Store {
  readonly kind: StoreKind;
  status(): StoreStatus;
  close(): Promise<void>;
}
