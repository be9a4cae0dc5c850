// Admin API for the dynamic RBAC policy: roles, subjects' bindings, grants and denies (each optionally in one tenant
// and until a moment), and decisions explained. Every body is checked whole before anything is written: its shape
// by the route schema, the same definitions the config's `rbac` section is checked with (config/schema/), then
// patterns, known roles and expiries here. The caller is authorized before the body is looked at.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { subjectProblem } from '../auth/subject-name.js';
import { BindingChangeSchema, DecisionBodySchema, DryRunBodySchema, GrantChangeSchema, SubjectChangeSchema, type BindingChange, type DecisionBody, type DryRunBody, type GrantChange, type SubjectChange } from '../config/schema/admin-body-schema.js';
import { diffAccess } from '../diff/access-diff.js';
import type { PolicySide } from '../diff/policy-side.js';
import { diffRbac } from '../diff/rbac-diff.js';
import { readStoredPolicy } from '../lint/store-policy.js';
import { mergeRoles } from '../rbac/rbac-authorizer.js';
import { RoleCycleError, UnknownRoleError } from '../rbac/role-graph.js';
import { parseExpiry } from '../config/schema/formats.js';
import { RoleSchema, type BindingBody, type GrantBody, type RoleBody } from '../config/schema/rbac-schema.js';
import { GatewayError } from '../errors.js';
import type { Identity } from '../auth/identity.js';
import type { VerifiedToken } from '../auth/claims.js';
import { ConditionError, compileCondition, type ConditionSpec } from '../rbac/condition.js';
import { explainRequest, type ExplainedContext } from '../rbac/explain-request.js';
import { isIP } from 'node:net';
import { EMPTY_SUBJECT, NAME, ROLE_NAME, splitRoleGrants, writtenRole, type PermissionEntry, type RoleBinding, type RoleDefinition, type SubjectRecord } from '../rbac/model.js';
import { PatternError, parsePermissionPattern } from '../rbac/permission-pattern.js';
import type { PolicyEditor } from '../rbac/policy-editor.js';
import type { RbacAuthorizer } from '../rbac/rbac-authorizer.js';
import type { RbacConfig } from '../config/rbac-types.js';
import type { RouteTable } from '../routing/route-table.js';
import type { AdminActor, AdminAuth, AdminCode } from './admin-auth.js';
import type { NormalizeOptions } from '../routing/normalize-path.js';
import { writableStore } from '../rbac/sql/layered-rbac-store.js';

export interface RbacRouteDeps {
  readonly authorize: AdminAuth;
  readonly editor: PolicyEditor;
  readonly authorizer: RbacAuthorizer;
  /** The config in force (read per call: a reload replaces it). */
  readonly config: () => RbacConfig;
  readonly routes: () => RouteTable;
  /** `server.paths` in force: the same canonical form as the data plane's. */
  readonly paths: () => NormalizeOptions;
  /** Verifies a token for `POST /admin/decision` (its identity and claims, as the data plane would see them). */
  readonly verify: (token: string) => Promise<VerifiedToken>;
  /** Token roles count in the config in force (`auth.jwt.claims.roles`): holders of a role by token gain and lose too. */
  readonly tokenRoles: () => boolean;
  readonly now: () => number;
}

type Plain = Record<string, unknown>;

function badInput(detail: string): GatewayError {
  return new GatewayError('PG_ADMIN_BAD_INPUT', { detail });
}

function name(value: unknown, what: string, grammar = NAME): string {
  if (typeof value !== 'string' || !grammar.test(value)) throw badInput(`${what} must be a name without spaces (${grammar === ROLE_NAME ? 'letters, digits, . _ ~ @ -, ≤ 128' : 'printable ASCII, ≤ 256'})`);
  return value;
}

/**
 * A subject, by the one grammar the data plane also uses (auth/subject-name.ts): any Unicode name without edge
 * whitespace or control characters. In a path it arrives percent-encoded and decoded once by the router.
 */
function subject(value: unknown, what: string): string {
  const problem = subjectProblem(value);
  if (problem !== undefined) throw badInput(`${what}: ${problem}`);
  return value as string;
}

function pattern(value: unknown): string {
  if (typeof value !== 'string') throw badInput('a permission code must be a string');
  try {
    parsePermissionPattern(value);
  } catch (err) {
    if (err instanceof PatternError) throw badInput(err.message);
    throw err;
  }
  return value;
}

function patterns(value: readonly string[] | undefined): string[] {
  return (value ?? []).map(pattern);
}

/** A role as the admin API writes it: its conditional grants apart, every pattern and condition checked. */
function roleDefinition(role: string, body: RoleBody): RoleDefinition {
  const written = splitRoleGrants(body.grants ?? []);
  written.conditional.forEach((grant, i) => condition(grant.when, `grants[${i}]`));
  return {
    name: role,
    grants: patterns(written.grants),
    ...(written.conditional.length > 0 ? { conditionalGrants: written.conditional.map((grant) => ({ code: pattern(grant.code), when: grant.when })) } : {}),
    denies: patterns(body.denies),
    inherits: body.inherits ?? [],
    description: body.description,
  };
}

/** A `when` that compiles, or a 400 naming the key that does not. */
function condition(value: ConditionSpec | undefined, where: string): { when?: ConditionSpec } {
  if (value === undefined) return {};
  try {
    compileCondition(value);
  } catch (err) {
    if (err instanceof ConditionError) throw badInput(`${where}.when.${err.key}: ${err.message}`);
    throw err;
  }
  return { when: value };
}

function flag(value: unknown, what: string): boolean {
  if (value === undefined || value === 'false' || value === false) return false;
  if (value === 'true' || value === true) return true;
  throw badInput(`"${what}" must be true or false`);
}

export function registerRbacRoutes(admin: FastifyInstance, deps: RbacRouteDeps): void {
  const { editor, authorizer } = deps;

  /** tenant and expires, as the schema let them through; an expiry must lie in the future. */
  const scope = (body: { tenant?: string; expires?: string }): { tenant?: string; expiresAt?: number } => {
    const out: { tenant?: string; expiresAt?: number } = {};
    if (body.tenant !== undefined) out.tenant = body.tenant;
    const at = parseExpiry(body.expires);
    if (at !== undefined) {
      if (at <= deps.now()) throw badInput('"expires" lies in the past');
      out.expiresAt = at;
    }
    return out;
  };
  const binding = (body: BindingBody): RoleBinding => {
    if (!authorizer.graph.has(body.role)) throw badInput(`role "${body.role}" is not defined`);
    return { role: body.role, ...scope(body), ...condition(body.when, 'binding') };
  };
  const entry = (body: GrantBody): PermissionEntry => ({ code: pattern(body.code), ...scope(body), ...condition(body.when, 'grant') });
  /** A deny holds always: a condition on it would let a request through whenever the condition failed. */
  const denyEntry = (body: GrantBody): PermissionEntry => {
    if (body.when !== undefined) throw badInput('a deny cannot carry "when": a deny holds always');
    return entry(body);
  };
  /**
   * Routes with a body: the caller is authorized (and the path checked) before the body is validated, so an
   * unauthenticated caller learns nothing about bodies and every failed authentication is still counted.
   */
  const actors = new WeakMap<FastifyRequest, AdminActor>();
  const guarded = (code: AdminCode, checkParams: (request: FastifyRequest) => void = () => {}) => ({
    preValidation: async (request: FastifyRequest) => {
      actors.set(request, await deps.authorize(request, code));
      checkParams(request);
    },
  });
  const actorOf = (request: FastifyRequest): AdminActor => actors.get(request)!;
  const subjectOf = (request: FastifyRequest): string => subject((request.params as Plain).subject, 'the subject');
  const sameScope = (a: { tenant?: string | undefined }, tenant: string | undefined): boolean => (a.tenant ?? undefined) === tenant;
  const dynamicView = (record: SubjectRecord | undefined): Plain => {
    const live = editor.live(record);
    const iso = <T extends { expiresAt?: number | undefined }>(list: readonly T[]) =>
      list.map(({ expiresAt, ...rest }) => (expiresAt === undefined ? rest : { ...rest, expires: new Date(expiresAt).toISOString() }));
    return { roles: iso(live.roles), grants: iso(live.grants), denies: iso(live.denies) };
  };

  // --- roles -------------------------------------------------------------------------------------------------
  admin.get('/admin/rbac/roles', async (request) => {
    await deps.authorize(request, 'permgate:admin:rbac:read');
    const dynamic = authorizer.dynamicRoles.value ?? new Map();
    const config = deps.config();
    const roles = [
      ...[...config.policy.roles.values()].map((role) => ({ ...writtenRole(role), source: 'config' })),
      ...[...dynamic.values()].filter((role) => !config.policy.roles.has(role.name)).map((role) => ({ ...writtenRole(role), source: 'admin' })),
    ];
    return { roles };
  });

  admin.get('/admin/rbac/roles/:role', async (request) => {
    await deps.authorize(request, 'permgate:admin:rbac:read');
    const role = name((request.params as Plain).role, 'the role', ROLE_NAME);
    const found = authorizer.graph.roles.get(role);
    if (found === undefined) throw new GatewayError('PG_ADMIN_NOT_FOUND', { detail: `no role "${role}"` });
    return { role: { ...writtenRole(found), source: deps.config().policy.roles.has(role) ? 'config' : 'admin', holds: authorizer.graph.expand(role) } };
  });

  const roleParam = (request: FastifyRequest): string => name((request.params as Plain).role, 'the role', ROLE_NAME);
  admin.put('/admin/rbac/roles/:role', { schema: { body: RoleSchema }, ...guarded('permgate:admin:rbac:write', roleParam) }, async (request) => {
    const role = roleParam(request);
    const body = request.body as RoleBody;
    const definition = roleDefinition(role, body);
    return editor.putRole(actorOf(request), role, definition);
  });

  admin.delete('/admin/rbac/roles/:role', async (request) => {
    const actor = await deps.authorize(request, 'permgate:admin:rbac:write');
    const role = name((request.params as Plain).role, 'the role', ROLE_NAME);
    return editor.putRole(actor, role, undefined);
  });

  // --- subjects ----------------------------------------------------------------------------------------------
  admin.get('/admin/rbac/subjects', async (request) => {
    await deps.authorize(request, 'permgate:admin:rbac:read');
    const query = request.query as Plain;
    const count = Number(query.count ?? 100);
    if (!Number.isInteger(count) || count < 1 || count > 1000) throw badInput('"count" must be 1 to 1000');
    const cursor = typeof query.cursor === 'string' ? query.cursor : '0';
    const page = await authorizer.store.listSubjects(cursor, count);
    return { configured: cursor === '0' ? [...deps.config().policy.subjects.keys()] : [], dynamic: page.subjects, cursor: page.cursor };
  });

  admin.get('/admin/rbac/subjects/:subject', async (request) => {
    await deps.authorize(request, 'permgate:admin:rbac:read');
    const subject = subjectOf(request);
    // The store's own record (what the admin API edits); SQL rows show in explain, not here.
    const stamped = await writableStore(authorizer.store).loadSubject(subject);
    const configured = deps.config().policy.subjects.get(subject);
    return { subject, config: configured ? dynamicView(configured) : null, dynamic: dynamicView(stamped.value) };
  });

  /** One change to a subject's dynamic record, with `revokeTokens` from the body or the query. */
  const change = async (request: FastifyRequest, action: string, apply: (current: SubjectRecord) => SubjectRecord, revokeTokens: unknown) => {
    const actor = actors.get(request) ?? (await deps.authorize(request, 'permgate:admin:rbac:write'));
    const subject = subjectOf(request);
    const revoke = flag(revokeTokens ?? (request.query as Plain).revokeTokens, 'revokeTokens');
    const { before, after } = await editor.updateSubject(actor, subject, action, apply, { revokeTokens: revoke });
    return { subject, before: dynamicView(before), after: dynamicView(after), tokensRevoked: revoke };
  };
  const writeSubject = guarded('permgate:admin:rbac:write', subjectOf);

  admin.put('/admin/rbac/subjects/:subject', { schema: { body: SubjectChangeSchema }, ...writeSubject }, async (request) => {
    const body = request.body as SubjectChange;
    const record: SubjectRecord = {
      roles: (body.roles ?? []).map(binding),
      grants: (body.grants ?? []).map(entry),
      denies: (body.denies ?? []).map(denyEntry),
    };
    return change(request, 'rbac.subject.put', () => record, body.revokeTokens);
  });

  admin.delete('/admin/rbac/subjects/:subject', async (request) =>
    change(request, 'rbac.subject.delete', (current) => {
      if (current.roles.length + current.grants.length + current.denies.length === 0) throw new GatewayError('PG_ADMIN_NOT_FOUND', { detail: 'the subject has no dynamic roles or grants' });
      return { roles: [], grants: [], denies: [] };
    }, undefined),
  );

  admin.post('/admin/rbac/subjects/:subject/roles', { schema: { body: BindingChangeSchema }, ...writeSubject }, async (request, reply) => {
    const { revokeTokens: revoke, ...body } = request.body as BindingChange;
    const added = binding(body);
    const result = await change(request, 'rbac.binding.add', (current) => ({
      ...current,
      roles: [...current.roles.filter((b) => !(b.role === added.role && sameScope(b, added.tenant))), added],
    }), revoke);
    return reply.code(201).send(result);
  });

  admin.delete('/admin/rbac/subjects/:subject/roles/:role', async (request) => {
    const role = name((request.params as Plain).role, 'the role', ROLE_NAME);
    const query = request.query as Plain;
    const tenant = query.tenant === undefined ? undefined : name(query.tenant, '"tenant"');
    return change(request, 'rbac.binding.remove', (current) => {
      const roles = current.roles.filter((b) => !(b.role === role && sameScope(b, tenant)));
      if (roles.length === current.roles.length) throw new GatewayError('PG_ADMIN_NOT_FOUND', { detail: `no binding of role "${role}"${tenant ? ` in tenant ${tenant}` : ''}` });
      return { ...current, roles };
    }, undefined);
  });

  for (const kind of ['grants', 'denies'] as const) {
    admin.post(`/admin/rbac/subjects/:subject/${kind}`, { schema: { body: GrantChangeSchema }, ...writeSubject }, async (request, reply) => {
      const { revokeTokens: revoke, ...body } = request.body as GrantChange;
      const added = kind === 'grants' ? entry(body) : denyEntry(body);
      const result = await change(request, `rbac.${kind === 'grants' ? 'grant' : 'deny'}.add`, (current) => ({
        ...current,
        [kind]: [...current[kind].filter((e) => !(e.code === added.code && sameScope(e, added.tenant))), added],
      }), revoke);
      return reply.code(201).send(result);
    });
    admin.delete(`/admin/rbac/subjects/:subject/${kind}`, async (request) => {
      const query = request.query as Plain;
      const code = pattern(query.code);
      const tenant = query.tenant === undefined ? undefined : name(query.tenant, '"tenant"');
      return change(request, `rbac.${kind === 'grants' ? 'grant' : 'deny'}.remove`, (current) => {
        const list = current[kind].filter((e) => !(e.code === code && sameScope(e, tenant)));
        if (list.length === current[kind].length) throw new GatewayError('PG_ADMIN_NOT_FOUND', { detail: `no ${kind === 'grants' ? 'grant' : 'deny'} of ${code}${tenant ? ` in tenant ${tenant}` : ''}` });
        return { ...current, [kind]: list };
      }, undefined);
    });
  }

  // --- a change previewed ------------------------------------------------------------------------------------
  // What a role or subject change would do, before it is made: its entries as a diff, who gains and loses which codes
  // (the reload diff's engine, diff/access-diff.ts, over the policy in force with the change applied), and the refusal
  // the write would meet from this caller (the editor's own self-edit and config-role rules). Nothing is written.
  admin.post('/admin/rbac/dry-run', { schema: { body: DryRunBodySchema }, ...guarded('permgate:admin:rbac:read') }, async (request) => {
    const body = request.body as DryRunBody;
    const now = deps.now();
    const stored = await readStoredPolicy(authorizer.store);
    const configured = deps.config().policy;
    const before: PolicySide = { configured, stored, tokenRoles: deps.tokenRoles() };
    let after: PolicySide;
    let target: { subject: string } | { role: string };
    let entries: readonly { change: '+' | '-'; entry: string }[];
    if (body.role !== undefined && body.subject === undefined && body.record === undefined && (body.definition === undefined) === (body.delete === true)) {
      const role = name(body.role, 'the role', ROLE_NAME);
      target = { role };
      const roles = new Map(stored.roles);
      if (body.definition === undefined) roles.delete(role);
      else roles.set(role, roleDefinition(role, body.definition));
      try {
        mergeRoles(configured.roles, roles);
      } catch (err) {
        if (err instanceof RoleCycleError || err instanceof UnknownRoleError) throw badInput(err.message);
        throw err;
      }
      after = { ...before, stored: { roles, subjects: stored.subjects } };
      const diff = diffRbac(before, after, now).roles;
      entries = [...diff.added, ...diff.removed, ...diff.changed].flatMap((change) => change.entries);
    } else if (body.subject !== undefined && body.record !== undefined && body.role === undefined && body.definition === undefined && body.delete === undefined) {
      const who = subject(body.subject, '"subject"');
      target = { subject: who };
      const record: SubjectRecord = {
        roles: (body.record.roles ?? []).map(binding),
        grants: (body.record.grants ?? []).map(entry),
        denies: (body.record.denies ?? []).map(denyEntry),
      };
      const subjects = new Map(stored.subjects);
      if (record.roles.length + record.grants.length + record.denies.length === 0) subjects.delete(who);
      else subjects.set(who, record);
      after = { ...before, stored: { roles: stored.roles, subjects } };
      // The entries as the reload diff writes them, for this one record.
      const one = (r: SubjectRecord | undefined): PolicySide => ({ ...before, configured: { roles: configured.roles, subjects: new Map([[who, editor.live(r ?? EMPTY_SUBJECT)]]) } });
      entries = diffRbac(one(stored.subjects.get(who)), one(record), now).subjects.changed.flatMap((change) => change.entries);
    } else {
      throw badInput('give "role" with "definition" or "delete": true, or "subject" with "record"');
    }
    const routes = deps.routes();
    const refusal = await editor.refusal(actorOf(request), target);
    return {
      target,
      entries,
      access: diffAccess({ side: before, routes }, { side: after, routes }, [], now),
      refusal: refusal === undefined ? null : { code: refusal.code, detail: refusal.detail ?? refusal.message },
    };
  });

  // --- decisions ---------------------------------------------------------------------------------------------
  const decision = async (identity: Identity, method: unknown, path: unknown, context: ExplainedContext) => {
    if (typeof method !== 'string' || !/^[A-Z]{1,16}$/.test(method)) throw badInput('"method" must be an HTTP method, e.g. GET');
    if (typeof path !== 'string' || !path.startsWith('/') || path.length > 8192) throw badInput('"path" must be a request path starting with /');
    return explainRequest(deps.routes(), deps.paths(), authorizer, identity, method, path, context);
  };
  /** `ip` and `at` as the one asking gives them (conditions on grants read them). */
  const asked = (ip: unknown, at: unknown): { address?: string; at?: number } => {
    const out: { address?: string; at?: number } = {};
    if (ip !== undefined) {
      if (typeof ip !== 'string' || isIP(ip) === 0) throw badInput('"ip" must be an IPv4 or IPv6 address');
      out.address = ip;
    }
    if (at !== undefined) {
      const when = typeof at === 'string' ? parseExpiry(at) : undefined;
      if (when === undefined) throw badInput('"at" must be a moment with a zone, e.g. 2026-12-01T09:30:00+01:00');
      out.at = when;
    }
    return out;
  };
  /** `claims` in the query: a JSON object, as a token would carry it. */
  const claimsOf = (value: unknown): Record<string, unknown> | undefined => {
    if (value === undefined) return undefined;
    let parsed: unknown;
    try {
      parsed = typeof value === 'string' && value.length <= 8192 ? JSON.parse(value) : undefined;
    } catch {
      parsed = undefined;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw badInput('"claims" must be a JSON object, e.g. {"amr":["mfa"]}');
    return parsed as Record<string, unknown>;
  };
  const list = (value: unknown): string[] => (typeof value === 'string' && value !== '' ? value.split(',').map((s) => name(s.trim(), 'a role')) : []);

  admin.get('/admin/decision', async (request) => {
    await deps.authorize(request, 'permgate:admin:decision:read');
    const query = request.query as Plain;
    const identity: Identity = {
      subject: subject(query.sub, '"sub"'),
      roles: list(query.roles),
      tenant: query.tenant === undefined ? undefined : name(query.tenant, '"tenant"'),
      scopes: [],
    };
    return decision(identity, query.method ?? 'GET', query.path, { ...asked(query.ip, query.at), claims: claimsOf(query.claims) });
  });

  admin.post('/admin/decision', { schema: { body: DecisionBodySchema }, ...guarded('permgate:admin:decision:read') }, async (request) => {
    const body = request.body as DecisionBody;
    let verified: VerifiedToken;
    try {
      verified = await deps.verify(body.token);
    } catch (err) {
      if (err instanceof GatewayError && err.status === 401) throw badInput(`the token is not accepted: ${err.code}${err.detail ? ` (${err.detail})` : ''}`);
      throw err;
    }
    return decision(verified.identity, body.method ?? 'GET', body.path, { ...asked(body.ip, body.at), claims: verified.claims });
  });
}
