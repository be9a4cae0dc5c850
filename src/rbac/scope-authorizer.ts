// Until the RBAC store (issue #4): a caller holds exactly the permission codes listed in its token's scope claim.
// Codes compare exactly (no wildcards), so a token can never hold more than it names.
import { GatewayError } from '../errors.js';
import type { Identity } from '../pipeline/request-context.js';
import type { PermissionCode } from '../routing/permission-template.js';
import type { Authorizer } from './authorizer.js';

export const scopeAuthorizer: Authorizer = {
  authorize(identity: Identity, codes: readonly PermissionCode[]) {
    for (const code of codes) {
      if (!identity.scopes.includes(code)) throw new GatewayError('PG_FORBIDDEN', { detail: `missing permission ${code}` });
    }
  },
};
