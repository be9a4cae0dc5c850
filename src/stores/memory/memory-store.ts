// The embedded store kept in memory (`store.path: memory`): nothing to connect to, always ready, lost on restart.
import type { AuditCaps, RbacStoreOptions, RevocationListOptions, Store, StoreNotice, StoreStatus } from '../store.js';
import { MemoryAuditTrail } from './memory-audit-trail.js';
import { MemoryGrantUsage } from './memory-grant-usage.js';
import { MemoryRbacStore } from './memory-rbac-store.js';
import { MemoryRevocationList } from './memory-revocation-list.js';

export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  readonly shared = false;

  status(): StoreStatus {
    return { kind: 'memory', ready: true };
  }

  async ready(): Promise<void> {}

  watch(): void {}

  notice(): StoreNotice {
    return { level: 'warn', message: 'store.path is memory: revocations, dynamic RBAC and the audit trail are kept in memory only and are lost on restart' };
  }

  auditTrail(caps?: AuditCaps): MemoryAuditTrail {
    return new MemoryAuditTrail(caps);
  }

  revocationList(options: RevocationListOptions): MemoryRevocationList {
    return new MemoryRevocationList(options.now);
  }

  rbacStore(): MemoryRbacStore {
    return new MemoryRbacStore();
  }

  grantUsage(): MemoryGrantUsage {
    return new MemoryGrantUsage();
  }

  sharedRateLimits(): undefined {
    return undefined;
  }

  async close(): Promise<void> {}
}
