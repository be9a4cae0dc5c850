// Assembles authentication from the `auth` section: keys (secrets, PEM, JWKS) and the JWT authenticator, rebuilt on
// every config load; and the revocation list the store makes, built once per process (it holds state that a reload
// must not lose).
import type { AuthConfig, RevocationConfig } from '../config/auth-types.js';
import type { LogPort } from '../observability/log-port.js';
import type { GatewayMetrics } from '../observability/metrics.js';
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
  const revocations = store.revocationList({
    syncInterval: config.syncInterval,
    now,
    onResync: (reason) => metrics.revocationResyncs.inc({ reason }),
    onKept: (kept) => metrics.revocationsKept.inc(kept),
  });
  await revocations.start();
  return revocations;
}
