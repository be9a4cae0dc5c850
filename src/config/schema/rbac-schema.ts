// The shapes of the RBAC policy, written once: a role, a role binding, a grant (or deny) and a subject's record.
// The config's `rbac` section and the admin API's request bodies (admin/rbac-routes.ts) are both checked against
// these, so a grant or a binding is parsed in one place; patterns, cycles and known roles are checked by code on top.
import { Type, type Static } from './type.js';
import { NAME, ROLE_NAME } from '../../rbac/model.js';
import { choice, duration, flag, formatted, integer, list, mapOf, mapping, optional, text } from './kinds.js';

export const TenantSchema = text('Holds only for requests in this tenant; absent: in every tenant', {
  pattern: NAME.source,
  errorMessage: 'a tenant is printable ASCII without spaces (≤ 256)',
});

export const RoleNameSchema = text('A role name: letters, digits and . _ ~ @ - (≤ 128)', {
  pattern: ROLE_NAME.source,
  errorMessage: 'a role name holds letters, digits and . _ ~ @ - (≤ 128)',
});

const expires = formatted('zoned-date-time', 'No longer counts from this moment (ISO 8601 with a zone); absent: never expires');

/** A permission pattern such as `order:read` or `channel:*:42` (rbac/permission-pattern.ts checks its syntax). */
export const PermissionCodeSchema = text('A permission code or pattern, e.g. order:read or channel:*');

const ClaimTestSchema = Type.Union([
  text('The claim equals this value'),
  mapping({ contains: text('A value the list claim holds') }, 'The list claim (or space-separated string) holds this value'),
  mapping({ in: list(text('A value'), 'Values the claim may take', { minItems: 1 }) }, 'The claim is one of these values'),
]);

/** `when`: every key given must hold for the request (rbac/condition.ts checks the values). */
export const WhenSchema = mapping({
  time: optional(text('A daily window HH:MM-HH:MM with an optional IANA zone, e.g. 08:00-20:00 Europe/Berlin (end exclusive)')),
  days: optional(list(choice(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], 'A weekday'), 'Local weekdays on which it holds', { minItems: 1 })),
  ip: optional(list(text('An address or network, e.g. 10.0.0.0/8 or 2001:db8::/32'), 'The resolved client address is in one of these', { minItems: 1 })),
  claim: optional(mapOf(ClaimTestSchema, 'Token claims (dotted paths): a value, { contains: value } or { in: [values] }')),
  param: optional(mapOf(text('subject, or claim:NAME'), 'Path parameters that must equal the subject or a claim')),
}, 'Conditions that must all hold for the grant or binding to count; a missing attribute makes its condition false', { title: 'a condition' });

export const GrantSchema = mapping({
  code: PermissionCodeSchema,
  tenant: optional(TenantSchema),
  expires: optional(expires),
  when: optional(WhenSchema),
}, 'A permission code, optionally in one tenant, until a moment, and under a condition (grants only)', { title: 'a grant' });

export const BindingSchema = mapping({
  role: RoleNameSchema,
  tenant: optional(TenantSchema),
  expires: optional(expires),
  when: optional(WhenSchema),
}, 'A role, optionally in one tenant, until a moment, and under a condition (its grants hold only while it does)', { title: 'a role binding' });

/** A role's grant: a code, or a code with a condition. */
export const RoleGrantSchema = Type.Union([
  PermissionCodeSchema,
  mapping({ code: PermissionCodeSchema, when: WhenSchema }, 'A permission code held only while the condition holds', { title: 'a conditional grant' }),
]);

export const RoleSchema = mapping({
  grants: optional(list(RoleGrantSchema, 'Permission codes the role holds: a code, or { code, when }', { default: [] })),
  denies: optional(list(PermissionCodeSchema, 'Permission codes the role is refused, whatever else grants them', { default: [] })),
  inherits: optional(list(RoleNameSchema, 'Roles whose grants and denies this one also holds', { default: [] })),
  description: optional(text('What the role is for', { maxLength: 1024 })),
}, 'A role: grants, denies and the roles it inherits', { title: 'a role' });

export const SubjectSchema = mapping({
  roles: optional(list(BindingSchema, 'Role bindings', { default: [] })),
  grants: optional(list(GrantSchema, 'Direct grants', { default: [] })),
  denies: optional(list(GrantSchema, 'Direct denies', { default: [] })),
}, 'What one subject holds beyond the roles its token names', { title: 'a subject' });

/** In the config a grant or a binding may also be written as a bare code or role name. */
const configSubject = mapping({
  roles: optional(list(Type.Union([RoleNameSchema, BindingSchema]), 'Role bindings: a role name, or { role, tenant, expires, when }', { default: [] })),
  grants: optional(list(Type.Union([PermissionCodeSchema, GrantSchema]), 'Direct grants: a code, or { code, tenant, expires, when }', { default: [] })),
  denies: optional(list(Type.Union([PermissionCodeSchema, GrantSchema]), 'Direct denies: a code, or { code, tenant, expires }', { default: [] })),
}, 'What one subject holds beyond the roles its token names', { default: {} });

const query = (what: string) => optional(text(what));

/** `rbac.source.sql`: a legacy database as a source of roles and grants (rbac/sql/; README "A SQL source"). */
export const SqlSourceSchema = mapping({
  url: text('postgres://, postgresql://, mysql:// or mariadb:// URL of the database; write ${ENV_VAR} for credentials'),
  preset: optional(choice(['ruoyi', 'spring-security', 'shiro-jdbc', 'casbin', 'none'], 'The schema\'s conventions: a preset\'s queries and mappings, or none (write every query)', 'none')),
  queries: optional(mapping({
    subjectRoles: query('Roles bound to :subject; columns role [, tenant] [, expires_at]'),
    roleGrants: query('Every role\'s grants; columns role, code [, effect]'),
    roleGrantsOf: query('One role\'s grants: the roleGrants rows whose role is :role (as roleGrants returns it); columns role, code [, effect]. Read per role a notification names instead of every role; without it a role change reads roleGrants'),
    roleParents: query('Role inheritance; columns role, parent'),
    roleParentsOf: query('One role\'s parents: the roleParents rows whose role is :role; columns role, parent. Read with roleGrantsOf; without it a role change reads roleParents whole'),
    subjectGrants: query('Direct grants and denies of :subject; columns code [, effect] [, tenant] [, expires_at]'),
  }, 'Queries replacing the preset\'s, one by one', { default: {} })),
  changes: optional(mapping({
    notify: optional(text('PostgreSQL: LISTEN on this channel (the triggers of `permgate sql triggers` NOTIFY on it)', { pattern: '^[a-z_][a-z0-9_]{0,62}$', errorMessage: 'a channel is lower-case letters, digits and _ (≤ 63)' })),
    poll: optional(duration('Run the version query this often and reload on a change')),
    version: query('One row, one column `version` that changes with every write (default: the preset\'s version row)'),
    check: optional(duration('With notify: how often the version query catches a missed notification (default rbac.syncInterval)')),
  }, 'How changes are seen: { notify: CHANNEL } or { poll: 5s, version: SELECT … }; default: poll every rbac.syncInterval', { default: {} })),
  pool: optional(integer(1, 64, 'Connections in the pool (LISTEN takes one more)', 4)),
  statementTimeout: optional(duration('A query running longer is cancelled', '2s')),
  connectTimeout: optional(duration('Opening a connection gives up after this long', '2s')),
}, 'A database holding roles, bindings and grants (read-only, checked at start). Merged: a subject\'s SQL rows, store record and config entry are unioned; a role in SQL and the store is one role with the union of both; a YAML role of the same name replaces it; a deny beats a grant');

export const RbacSchema = mapping({
  roles: optional(mapOf({ ...RoleSchema, default: {} }, 'Static roles, by name', { default: {} })),
  subjects: optional(mapOf(configSubject, 'Static subjects, by name (any name the data plane accepts as a subject)', { default: {} })),
  cache: optional(mapping({
    size: optional(integer(1, 10_000_000, 'Compiled subjects kept per instance (LRU)', 100_000)),
    ttl: optional(duration('A compiled subject is rebuilt after this long even if no change was announced', '5m')),
  }, 'The compiled-permission cache', { default: {} })),
  syncInterval: optional(duration('How often each instance compares its RBAC version with the shared store', '1s')),
  maxStaleness: optional(duration('With the store unreachable, compiled permissions older than this are not used (503)', '30s')),
  exposeMissingCode: optional(flag('A 403 names the code the caller lacks; false keeps the body generic', true)),
  tokenScopes: optional(flag('The token\'s scope codes count as exact grants (denies still apply)', false)),
  auditDenials: optional(integer(0, 100_000, 'Denials written to the audit trail per second and instance', 100)),
  usage: optional(mapping({
    record: optional(flag('Record which grant allowed each request, as a last-used day per subject and grant (GET /admin/rbac/unused)', true)),
    flushInterval: optional(duration('Recorded uses are written to the store in one batch this often', '10s')),
  }, 'Grant use, for the least-privilege report', { default: {} })),
  denialSpikes: optional(mapping({
    threshold: optional(integer(0, 1_000_000, 'A subject refused this many times within one window is flagged once (0: off)', 20)),
    window: optional(duration('The window denials are counted in, per subject', '1m')),
    webhook: optional(text('http:// or https:// URL a flagged subject is POSTed to (JSON); empty: none', { allowEmpty: true, default: '' })),
    webhookTimeout: optional(duration('A webhook call gives up after this long; it is never retried', '2s')),
  }, 'Subjects whose denials spike (probing, broken clients): counted, audited, optionally posted to a webhook', { default: {} })),
  source: optional(mapping({
    sql: optional(SqlSourceSchema),
  }, 'More sources of roles and bindings beside the config and the admin API', { default: {} })),
}, 'The static RBAC policy and how compiled permissions are cached; more roles and bindings through the admin API', { default: {} });

export type GrantBody = Static<typeof GrantSchema>;
export type BindingBody = Static<typeof BindingSchema>;
export type RoleBody = Static<typeof RoleSchema>;
export type SubjectBody = Static<typeof SubjectSchema>;
export type RbacSection = Static<typeof RbacSchema>;
