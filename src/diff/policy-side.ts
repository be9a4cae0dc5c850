// One side of a diff's policy: the roles and subjects of a config (a file's, or the running gateway's as its admin API
// serves them) and those of the RBAC store. A reload replaces the first and keeps the second, so both sides of a diff
// share the store's part.
import type { LoadedConfig } from '../config/load.js';
import type { RoleDefinition, StaticPolicy, SubjectRecord } from '../rbac/model.js';
import { mergeRoles } from '../rbac/rbac-authorizer.js';
import type { RoleGraph } from '../rbac/role-graph.js';

/** The store's dynamic roles and subject records (empty when the diff is between files). */
export interface StoredPart {
  readonly roles: ReadonlyMap<string, RoleDefinition>;
  readonly subjects: ReadonlyMap<string, SubjectRecord>;
}

export interface PolicySide {
  readonly configured: StaticPolicy;
  readonly stored: StoredPart;
  /** Token roles count (`auth.jwt.claims.roles` is set), so any holder of a role by token is a caller too. */
  readonly tokenRoles: boolean;
}

export const NO_STORE: StoredPart = { roles: new Map(), subjects: new Map() };

export function sideOfConfig(loaded: LoadedConfig, stored: StoredPart = NO_STORE): PolicySide {
  return { configured: loaded.config.rbac.policy, stored, tokenRoles: loaded.config.auth?.jwt.claims.roles !== undefined };
}

/** The roles in force: config roles, then stored ones not named like a config role (the gateway's own rule). */
export function rolesInForce(side: PolicySide): RoleGraph {
  return mergeRoles(side.configured.roles, side.stored.roles);
}
