// The RBAC policy model: roles that hold grants and denies and inherit other roles; subjects bound to roles and
// holding direct grants, each optionally limited to one tenant and to a time. Shapes here are stored as JSON in the
// shared store and written in the `rbac` section of the config, so they hold only plain data.

export interface RoleDefinition {
  readonly name: string;
  readonly grants: readonly string[];
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
}

export interface PermissionEntry extends Scope {
  /** A permission pattern (permission-pattern.ts). */
  readonly code: string;
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
