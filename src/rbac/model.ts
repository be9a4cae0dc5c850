// The RBAC policy model: roles that hold grants and denies and inherit other roles; subjects bound to roles and
// holding direct grants, each optionally limited to one tenant and to a time. Shapes here are stored as JSON in the
// shared store and written in the `rbac` section of the config, so they hold only plain data.
import type { ConditionSpec } from './condition.js';

export interface RoleDefinition {
  readonly name: string;
  /** Patterns the role holds unconditionally; `{subject}` in a part stands for each holder's own name. */
  readonly grants: readonly string[];
  /** Grants that hold only while their `when` does (rbac/condition.ts); written `{ code, when }` among the grants. */
  readonly conditionalGrants?: readonly ConditionalGrant[] | undefined;
  readonly denies: readonly string[];
  /** Roles whose grants and denies this one also holds. */
  readonly inherits: readonly string[];
  readonly description?: string | undefined;
}

/** Limits shared by a binding and a grant. */
export interface Scope {
  /** Holds only for requests in this tenant; absent: in every tenant. */
  readonly tenant?: string | undefined;
  /** Milliseconds since the epoch after which it no longer counts; absent: no expiry. */
  readonly expiresAt?: number | undefined;
}

export interface RoleBinding extends Scope {
  readonly role: string;
  /** The role's grants hold only while this does; its denies hold always (when in doubt, deny). */
  readonly when?: ConditionSpec | undefined;
}

export interface PermissionEntry extends Scope {
  /** A permission pattern (permission-pattern.ts). */
  readonly code: string;
  /** A grant that holds only while this does. Never on a deny. */
  readonly when?: ConditionSpec | undefined;
}

/** A role's grant with a condition. */
export interface ConditionalGrant {
  readonly code: string;
  readonly when: ConditionSpec;
}

/** What one subject holds beyond the roles its token names. */
export interface SubjectRecord {
  readonly roles: readonly RoleBinding[];
  readonly grants: readonly PermissionEntry[];
  readonly denies: readonly PermissionEntry[];
}

export const EMPTY_SUBJECT: SubjectRecord = Object.freeze({ roles: [], grants: [], denies: [] });

/** The static part of the policy, from the `rbac` section of the config. */
export interface StaticPolicy {
  readonly roles: ReadonlyMap<string, RoleDefinition>;
  readonly subjects: ReadonlyMap<string, SubjectRecord>;
}

/** Whether a binding or grant counts for a request in `tenant` at `now`. */
export function scopeHolds(scope: Scope, tenant: string | undefined, now: number): boolean {
  if (scope.expiresAt !== undefined && scope.expiresAt <= now) return false;
  return scope.tenant === undefined || scope.tenant === tenant;
}

/** Names: subjects, roles and tenants as tokens and the admin API carry them. Printable ASCII, no spaces. */
export const NAME = /^[\x21-\x7e]{1,256}$/;
/** Role names are written in configs and code lists, so they are stricter. */
export const ROLE_NAME = /^[A-Za-z0-9._~@-]{1,128}$/;

/** A role's grants as written (config, admin API): codes, and `{ code, when }` for conditional ones. */
export type WrittenGrant = string | ConditionalGrant;

/** Written grants, split into the role's two lists. */
export function splitRoleGrants(written: readonly WrittenGrant[]): { grants: string[]; conditional: ConditionalGrant[] } {
  const grants: string[] = [];
  const conditional: ConditionalGrant[] = [];
  for (const grant of written) {
    if (typeof grant === 'string') grants.push(grant);
    else conditional.push(grant);
  }
  return { grants, conditional };
}

/** A role as it is written: conditional grants back among the grants. */
export function writtenRole(role: RoleDefinition): Omit<RoleDefinition, 'grants' | 'conditionalGrants'> & { grants: readonly WrittenGrant[] } {
  const { conditionalGrants, ...rest } = role;
  return conditionalGrants === undefined || conditionalGrants.length === 0 ? rest : { ...rest, grants: [...role.grants, ...conditionalGrants] };
}
