// Stage: a verified token that was revoked is refused (401). The check reads the local mirror: no round-trip.
// When the mirror cannot be known to be current, the route's onStoreDown decides: deny (503) or allow-cached.
import { invalidTokenChallenge } from '../auth/claims.js';
import type { RevocationList } from '../auth/revocation-list.js';
import type { OnStoreDown } from '../config/auth-types.js';
import { GatewayError } from '../errors.js';
import type { Stage } from './stage.js';

export interface RevocationOutcomes {
  onCheck(outcome: 'ok' | 'revoked' | 'store-down-denied' | 'store-down-cached'): void;
}

export function checkRevocationStage(revocations: RevocationList, defaultOnStoreDown: OnStoreDown, outcomes: RevocationOutcomes): Stage {
  return {
    name: 'check-revocation',
    shadowable: true,
    run(ctx) {
      const token = ctx.token;
      if (token === undefined) return; // a public route
      if (!revocations.isCurrent()) {
        const policy = ctx.match!.route.config.onStoreDown ?? defaultOnStoreDown;
        if (policy === 'deny' || ctx.match!.route.config.sensitive) {
          outcomes.onCheck('store-down-denied');
          return new GatewayError('PG_STORE_UNAVAILABLE', { detail: 'revocations cannot be checked', headers: { 'retry-after': '1' } });
        }
        outcomes.onCheck('store-down-cached');
      }
      if (revocations.isRevoked(token)) {
        outcomes.onCheck('revoked');
        return new GatewayError('PG_TOKEN_REVOKED', { headers: invalidTokenChallenge('token revoked') });
      }
      outcomes.onCheck('ok');
    },
  };
}
