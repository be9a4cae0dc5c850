// The shared store: one connection with settings fit for a request path (docs/toolchain-notes.md): no offline queue, a
// short command timeout and reconnection with capped backoff, so a Redis outage fails fast instead of hanging.
// A second connection serves the admin plane and background work (writes, revocations, audit, resyncs): the same
// settings with a longer timeout, so a change an admin makes is not lost to a request-path deadline on a busy Redis.
// Both reach the configured topology (redis-connection.ts): one node by URL, a Sentinel group, or a Cluster.
import type { AuditCaps, RbacStoreOptions, RevocationListOptions, Store, StoreStatus } from '../store.js';
import { connectRedis, topologyOf, type RedisClient, type RedisTarget, type TopologyKind } from './redis-connection.js';
import { RedisAuditTrail } from './redis-audit-trail.js';
import { RedisGrantUsage } from './redis-grant-usage.js';
import { AdaptiveDeadline, MAX_WAIT_MS } from './adaptive-deadline.js';
import { RedisConnectionCounts } from './redis-connection-counts.js';
import { RedisRateLimitStore } from './redis-rate-limit-store.js';
import { RedisRbacStore } from './redis-rbac-store.js';
import { RedisRevocationList } from './redis-revocation-list.js';

export interface RedisStoreOptions {
  /** Each command gives up after this many milliseconds. */
  readonly commandTimeout: number;
}

/** The admin connection's command timeout: long enough for a loaded Redis, short enough to answer an admin. */
export const ADMIN_COMMAND_TIMEOUT_MS = 2_000;

export class RedisStore implements Store {
  readonly kind = 'redis' as const;
  readonly shared = true;
  /** The request path's connection (short command timeout). */
  readonly client: RedisClient;
  /** The admin plane's and background work's connection (ADMIN_COMMAND_TIMEOUT_MS). */
  readonly adminClient: RedisClient;
  readonly topology: TopologyKind;
  /**
   * The request path's waiting connection: budgets and cold subjects' permissions. Its commands time out only after
   * MAX_WAIT_MS; `requestDeadline` decides sooner whether Redis is late or silent (adaptive-deadline.ts).
   */
  readonly rateClient: RedisClient;
  readonly requestDeadline: AdaptiveDeadline;
  #rateLimits: RedisRateLimitStore | undefined;
  #lastError: string | undefined;

  /** `target`: a redis:// or rediss:// URL, a Sentinel group or a Cluster (`store.redis`). */
  constructor(target: RedisTarget, options: RedisStoreOptions) {
    this.topology = topologyOf(target);
    this.requestDeadline = new AdaptiveDeadline({ deadlineMs: options.commandTimeout });
    this.rateClient = connectRedis(target, { commandTimeout: MAX_WAIT_MS, autoPipelining: true });
    this.rateClient.on('error', () => {}); // reported through the request-path connection's status
    this.client = connectRedis(target, { commandTimeout: options.commandTimeout, autoPipelining: true });
    this.adminClient = connectRedis(target, { commandTimeout: Math.max(ADMIN_COMMAND_TIMEOUT_MS, options.commandTimeout), autoPipelining: false });
    this.adminClient.on('error', () => {}); // reported through the request-path connection's status
    // An error event without a listener would crash the process; the status says what happened instead.
    this.client.on('error', (err: Error & { code?: string }) => {
      this.#lastError = err.code ?? 'connection error';
    });
    this.client.on('ready', () => {
      this.#lastError = undefined;
    });
  }

  /** Resolves when every connection is ready, or rejects after `timeoutMs`. */
  async ready(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await this.#connected(this.client, timeoutMs);
    await this.#connected(this.adminClient, Math.max(0, deadline - Date.now()));
    await this.#connected(this.rateClient, Math.max(0, deadline - Date.now()));
  }

  async #connected(client: RedisClient, timeoutMs: number): Promise<void> {
    if (client.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        client.off('ready', onReady);
        reject(new Error(`redis not ready after ${timeoutMs} ms (${this.#lastError ?? client.status})`));
      }, timeoutMs);
      const onReady = (): void => {
        clearTimeout(timer);
        resolve();
      };
      client.once('ready', onReady);
    });
  }

  watch(listener: (reachable: boolean) => void): void {
    let reachable = this.client.status === 'ready';
    this.client.on('ready', () => {
      if (!reachable) listener(true);
      reachable = true;
    });
    this.client.on('close', () => {
      if (reachable) listener(false);
      reachable = false;
    });
  }

  notice(): undefined {
    return undefined;
  }

  /** Audit writes and reads are the admin plane's: its connection. */
  auditTrail(caps?: AuditCaps): RedisAuditTrail {
    return new RedisAuditTrail(this.adminClient, caps);
  }

  /** Revocations are never read from Redis on the request path (the local mirror answers): the admin connection. */
  revocationList(options: RevocationListOptions): RedisRevocationList {
    return new RedisRevocationList(this.adminClient, options);
  }

  /** Subjects are loaded on the request path (a cache miss); writes, listings and role loads go on the admin one. */
  rbacStore(options: RbacStoreOptions): RedisRbacStore {
    return new RedisRbacStore(this.client, { ...options, admin: this.adminClient, loads: { client: this.rateClient, deadline: this.requestDeadline } });
  }

  /** Grant use is written in batches by a background flush: the admin connection. */
  grantUsage(): RedisGrantUsage {
    return new RedisGrantUsage(this.adminClient);
  }

  /**
   * Budgets on a connection of their own, whose commands never time out sooner than MAX_WAIT_MS: the store keeps an
   * adaptive deadline instead (redis-rate-limit-store.ts), so a burst that makes Redis late is not taken for an outage.
   */
  sharedConnections(): RedisConnectionCounts {
    return new RedisConnectionCounts(this.client, Date.now);
  }

  sharedRateLimits(): RedisRateLimitStore {
    this.#rateLimits ??= new RedisRateLimitStore(this.rateClient, this.requestDeadline);
    return this.#rateLimits;
  }

  status(): StoreStatus {
    const ready = this.client.status === 'ready';
    return ready ? { kind: 'redis', ready } : { kind: 'redis', ready, detail: this.#lastError ?? this.client.status };
  }

  async close(): Promise<void> {
    this.client.disconnect();
    this.adminClient.disconnect();
    this.rateClient.disconnect();
  }
}
