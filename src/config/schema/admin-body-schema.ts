// The admin API's request bodies, built from the policy shapes the config's `rbac` section uses (rbac-schema.ts).
// Registered as Fastify route schemas (admin/rbac-routes.ts, admin/revocation-routes.ts); a body that fails them is
// a 400 PG_ADMIN_BAD_INPUT naming the field (body-problem.ts).
import { Type, type Static } from './type.js';
import { formatted, integer, mapping, optional, text } from './kinds.js';
import { BindingSchema, GrantSchema, RoleNameSchema, RoleSchema, SubjectSchema } from './rbac-schema.js';

const RevokeTokensSchema = Type.Union([Type.Boolean(), Type.Enum(['true', 'false'])], {
  description: 'Also revoke every token the subject holds now (it may also be given in the query)',
  errorMessage: 'must be true or false',
});

const withRevokeTokens = <P extends object>(properties: P) => ({ ...properties, revokeTokens: optional(RevokeTokensSchema) });

export const BindingChangeSchema = mapping(withRevokeTokens(BindingSchema.properties), 'A role binding to add, and whether to revoke the subject\'s tokens', { title: 'a role binding' });
export const GrantChangeSchema = mapping(withRevokeTokens(GrantSchema.properties), 'A grant or deny to add, and whether to revoke the subject\'s tokens', { title: 'a grant' });
export const SubjectChangeSchema = mapping(withRevokeTokens(SubjectSchema.properties), 'A subject\'s whole dynamic record, and whether to revoke its tokens', { title: 'a subject' });

const seconds = (description: string) => optional(integer(0, 1e11, `${description} (whole seconds since the epoch)`));

/** `{ jti, exp? }` revokes one token, `{ subject, before? }` every token of a subject (revocation-routes.ts pairs them). */
export const RevocationBodySchema = mapping({
  jti: optional(text('The token\'s jti: printable ASCII without spaces (≤ 256)', { pattern: '^[\\x21-\\x7e]{1,256}$', errorMessage: 'must be a non-empty string without spaces (≤ 256)' })),
  exp: seconds('When the token expires anyway; default: now plus auth.jwt.maxLifetime'),
  subject: optional(text('The subject whose tokens are revoked (the data plane\'s subject grammar)', { allowEmpty: true })),
  before: seconds('Tokens issued at or before this moment are revoked; default: now'),
}, 'A revocation: a token by jti, or every token of a subject issued before a moment', { title: 'a revocation' });

export const DecisionBodySchema = mapping({
  token: text('The caller\'s JWT'),
  method: optional(text('HTTP method', { pattern: '^[A-Z]{1,16}$', errorMessage: 'must be an HTTP method, e.g. GET' })),
  path: text('A request path starting with /', { pattern: '^/', maxLength: 8192, errorMessage: 'must be a request path starting with /' }),
  ip: optional(text('The client address the request would come from (for ip conditions)')),
  at: optional(formatted('zoned-date-time', 'When the request would be made (for time and days conditions); absent: now')),
}, 'A decision to explain: the caller\'s token and the request', { title: 'a decision request' });

/** A change to preview (POST /admin/rbac/dry-run): a role's new definition or its deletion, or a subject's new record. */
export const DryRunBodySchema = mapping({
  role: optional(RoleNameSchema),
  definition: optional(RoleSchema),
  delete: optional(Type.Boolean({ description: 'The role would be deleted' })),
  subject: optional(text('The subject whose dynamic record would change', { maxLength: 1024 })),
  record: optional(SubjectSchema),
}, 'A role or subject change to preview, written as the PUT that would make it', { title: 'a dry run' });

export type DryRunBody = Static<typeof DryRunBodySchema>;
export type BindingChange = Static<typeof BindingChangeSchema>;
export type GrantChange = Static<typeof GrantChangeSchema>;
export type SubjectChange = Static<typeof SubjectChangeSchema>;
export type RevocationBody = Static<typeof RevocationBodySchema>;
export type DecisionBody = Static<typeof DecisionBodySchema>;
