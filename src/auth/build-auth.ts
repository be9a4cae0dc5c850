// Assembles authentication from the `auth` section: keys (secrets, PEM, JWKS) and the JWT authenticator, rebuilt on
// every config load; and the revocation list and audit trail on the configured store (Redis, the embedded SQLite file,
// or memory), built once per process (they hold state that a reload must not lose).
import type { AuthConfig, RevocationConfig } from '../config/auth-types.js';
import type { StoreConfig } from '../config/types.js';
import type { AuditTrail } from '../observability/audit-trail.js';
import type { LogPort } from '../observability/log-port.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { MemoryAuditTrail } from '../stores/memory/memory-audit-trail.js';
import { MemoryRevocationList } from '../stores/memory/memory-revocation-list.js';
import { RedisAuditTrail } from '../stores/redis/redis-audit-trail.js';
import { RedisRevocationList } from '../stores/redis/redis-revocation-list.js';
import { RedisStore } from '../stores/redis/redis-store.js';
import { SqliteAuditTrail } from '../stores/sqlite/sqlite-audit-trail.js';
import { SqliteRevocationList } from '../stores/sqlite/sqlite-revocation-list.js';
import { SqliteStore } from '../stores/sqlite/sqlite-store.js';
import type { Store } from '../stores/store.js';
import { JwksKeySource } from './jwks-key-source.js';
import { JwtAuthenticator } from './jwt-authenticator.js';
import { KeyResolver } from './key-resolver.js';
import type { RevocationList } from './revocation-list.js';

export interface AuthParts {
  readonly authenticator: JwtAuthenticator;
  readonly jwks: JwksKeySource | undefined;
  close(): void;
}

/** The trail on the store in use; `caps` is `store.audit` (entries kept per kind). */
export function auditTrailFor(store: Store, caps?: StoreConfig['audit']): AuditTrail {
  if (store instanceof RedisStore) return new RedisAuditTrail(store.adminClient, caps);
  if (store instanceof SqliteStore) return new SqliteAuditTrail(store, caps);
  return new MemoryAuditTrail(caps);
}

export async function buildAuth(config: AuthConfig, metrics: GatewayMetrics, log: LogPort, now: () => number): Promise<AuthParts> {
  let jwks: JwksKeySource | undefined;
  if (config.jwt.jwks !== undefined) {
    jwks = new JwksKeySource(config.jwt.jwks, {
      onRefresh(outcome, reason) {
        metrics.jwksRefreshes.inc({ outcome });
        if (outcome === 'failed') log.warn({ reason }, 'JWKS refresh failed; keeping the keys already known');
      },
    }, now);
    await jwks.start();
  }
  const keys = await KeyResolver.create(config.jwt, jwks);
  const authenticator = new JwtAuthenticator(config.jwt, keys, { onOutcome: (outcome) => metrics.authentications.inc({ outcome }) }, now);
  return { authenticator, jwks, close: () => jwks?.stop() };
}

export async function buildRevocations(config: RevocationConfig, store: Store, metrics: GatewayMetrics, now: () => number): Promise<RevocationList> {
  const revocations =
    store instanceof RedisStore
      ? // Revocations are never read from Redis on the request path (the local mirror answers): the admin connection.
        new RedisRevocationList(store.adminClient, {
          syncInterval: config.syncInterval,
          now,
          onResync: (reason) => metrics.revocationResyncs.inc({ reason }),
        })
      : store instanceof SqliteStore
        ? new SqliteRevocationList(store, now)
        : new MemoryRevocationList(now);
  await revocations.start();
  return revocations;
}
