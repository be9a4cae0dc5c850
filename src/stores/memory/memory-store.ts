// The embedded store for a single instance: nothing to connect to, always ready.
import type { Store, StoreStatus } from '../store.js';

export class MemoryStore implements Store {
  readonly kind = 'memory' as const;

  status(): StoreStatus {
    return { kind: 'memory', ready: true };
  }

  async close(): Promise<void> {}
}
