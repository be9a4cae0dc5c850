// Stage: a verified token that was revoked is refused (401). The check reads the local mirror: no round-trip.
// When the mirror cannot be known to be current, the route's onStoreDown decides: deny (503) or allow-cached. A
// mirror only late to confirm itself (a burst holding the periodic check back) is waited for on a route that denies.
import { invalidTokenChallenge, type VerifiedToken } from '../auth/claims.js';
import type { RevocationList } from '../auth/revocation-list.js';
import type { OnStoreDown } from '../config/auth-types.js';
import { GatewayError } from '../errors.js';
import type { Stage, StageOutcome } from './stage.js';

export interface RevocationOutcomes {
  onCheck(outcome: 'ok' | 'revoked' | 'store-down-denied' | 'store-down-cached'): void;
}

export function checkRevocationStage(revocations: RevocationList, defaultOnStoreDown: OnStoreDown, outcomes: RevocationOutcomes): Stage {
  const decide = (token: VerifiedToken, storeDown: 'store-down-cached' | undefined): StageOutcome => {
    if (storeDown !== undefined) outcomes.onCheck(storeDown);
    if (revocations.isRevoked(token)) {
      outcomes.onCheck('revoked');
      return new GatewayError('PG_TOKEN_REVOKED', { headers: invalidTokenChallenge('token revoked') });
    }
    outcomes.onCheck('ok');
  };
  const storeDown = (): GatewayError => {
    outcomes.onCheck('store-down-denied');
    return new GatewayError('PG_STORE_UNAVAILABLE', { detail: 'revocations cannot be checked', headers: { 'retry-after': '1' } });
  };
  return {
    name: 'check-revocation',
    shadowable: true,
    run(ctx) {
      const token = ctx.token;
      if (token === undefined) return; // a public route
      if (revocations.isCurrent()) return decide(token, undefined);
      const route = ctx.match!.route.config;
      const policy = route.onStoreDown ?? defaultOnStoreDown;
      if (policy !== 'deny' && !route.sensitive) return decide(token, 'store-down-cached');
      // Failing closed: a mirror that is only late to confirm itself is waited for, not taken for an outage.
      const confirmed = revocations.confirmCurrent();
      if (confirmed === true) return decide(token, undefined);
      if (confirmed === false) return storeDown();
      return confirmed.then((current) => (current ? decide(token, undefined) : storeDown()));
    },
  };
}
