// The authorization seam: may this caller do this? The RBAC store arrives with its own issue; until then a caller
// holds no permission at all.
import { GatewayError } from '../errors.js';
import type { Identity } from '../pipeline/request-context.js';
import type { PermissionCode } from '../routing/permission-template.js';

export interface Authorizer {
  /** Returns when the caller holds every code; throws PG_FORBIDDEN (403) otherwise. */
  authorize(identity: Identity, codes: readonly PermissionCode[]): void | Promise<void>;
}

/** The authorizer of a gateway with no `rbac` section: every permission is missing. */
export const denyAll: Authorizer = {
  authorize() {
    throw new GatewayError('PG_FORBIDDEN');
  },
};
