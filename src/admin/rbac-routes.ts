// Admin API for the dynamic RBAC policy: roles, subjects' bindings, grants and denies (each optionally in one tenant
// and until a moment), and decisions explained. Every body is checked whole before anything is written.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { subjectProblem } from '../auth/subject-name.js';
import { parseExpiry } from '../config/validate-rbac.js';
import { GatewayError } from '../errors.js';
import type { Identity } from '../auth/identity.js';
import { explainRequest } from '../rbac/explain-request.js';
import { NAME, ROLE_NAME, type PermissionEntry, type RoleBinding, type RoleDefinition, type SubjectRecord } from '../rbac/model.js';
import { PatternError, parsePermissionPattern } from '../rbac/permission-pattern.js';
import type { PolicyEditor } from '../rbac/policy-editor.js';
import type { RbacAuthorizer } from '../rbac/rbac-authorizer.js';
import type { RbacConfig } from '../config/rbac-types.js';
import type { RouteTable } from '../routing/route-table.js';
import type { AdminAuth } from './admin-auth.js';
import type { NormalizeOptions } from '../routing/normalize-path.js';

export interface RbacRouteDeps {
  readonly authorize: AdminAuth;
  readonly editor: PolicyEditor;
  readonly authorizer: RbacAuthorizer;
  /** The config in force (read per call: a reload replaces it). */
  readonly config: () => RbacConfig;
  readonly routes: () => RouteTable;
  /** `server.paths` in force: the same canonical form as the data plane's. */
  readonly paths: () => NormalizeOptions;
  /** Verifies a token for `POST /admin/decision` (its identity, as the data plane would see it). */
  readonly identify: (token: string) => Promise<Identity>;
  readonly now: () => number;
}

type Plain = Record<string, unknown>;

function badInput(detail: string): GatewayError {
  return new GatewayError('PG_ADMIN_BAD_INPUT', { detail });
}

function object(value: unknown, known: readonly string[], what: string): Plain {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badInput(`expected a JSON object (${what})`);
  const unknown = Object.keys(value).filter((key) => !known.includes(key));
  if (unknown.length > 0) throw badInput(`unknown field "${unknown[0]}" (${what} takes ${known.join(', ')})`);
  return value as Plain;
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

function patterns(value: unknown, what: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw badInput(`"${what}" must be a list of permission codes`);
  return value.map(pattern);
}

function description(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > 1024) throw badInput('"description" must be a string (≤ 1024)');
  return value;
}

function flag(value: unknown, what: string): boolean {
  if (value === undefined || value === 'false' || value === false) return false;
  if (value === 'true' || value === true) return true;
  throw badInput(`"${what}" must be true or false`);
}

export function registerRbacRoutes(admin: FastifyInstance, deps: RbacRouteDeps): void {
  const { editor, authorizer } = deps;

  /** tenant and expires, as given in a body; an expiry must lie in the future. */
  const scope = (body: Plain): { tenant?: string; expiresAt?: number } => {
    const out: { tenant?: string; expiresAt?: number } = {};
    if (body.tenant !== undefined) out.tenant = name(body.tenant, '"tenant"');
    if (body.expires !== undefined) {
      const at = parseExpiry(body.expires);
      if (at === undefined) throw badInput('"expires" must be a date-time with a zone, e.g. 2027-01-31T18:00:00Z');
      if (at <= deps.now()) throw badInput('"expires" lies in the past');
      out.expiresAt = at;
    }
    return out;
  };
  const binding = (value: unknown): RoleBinding => {
    const body = object(value, ['role', 'tenant', 'expires'], 'a role binding');
    const role = name(body.role, '"role"', ROLE_NAME);
    if (!authorizer.graph.has(role)) throw badInput(`role "${role}" is not defined`);
    return { role, ...scope(body) };
  };
  const entry = (value: unknown): PermissionEntry => {
    const body = object(value, ['code', 'tenant', 'expires'], 'a grant');
    return { code: pattern(body.code), ...scope(body) };
  };
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
      ...[...config.policy.roles.values()].map((role) => ({ ...role, source: 'config' })),
      ...[...dynamic.values()].filter((role) => !config.policy.roles.has(role.name)).map((role) => ({ ...role, source: 'admin' })),
    ];
    return { roles };
  });

  admin.get('/admin/rbac/roles/:role', async (request) => {
    await deps.authorize(request, 'permgate:admin:rbac:read');
    const role = name((request.params as Plain).role, 'the role', ROLE_NAME);
    const found = authorizer.graph.roles.get(role);
    if (found === undefined) throw new GatewayError('PG_ADMIN_NOT_FOUND', { detail: `no role "${role}"` });
    return { role: { ...found, source: deps.config().policy.roles.has(role) ? 'config' : 'admin', holds: authorizer.graph.expand(role) } };
  });

  admin.put('/admin/rbac/roles/:role', async (request) => {
    const actor = await deps.authorize(request, 'permgate:admin:rbac:write');
    const role = name((request.params as Plain).role, 'the role', ROLE_NAME);
    const body = object(request.body, ['grants', 'denies', 'inherits', 'description'], 'a role');
    if (body.inherits !== undefined && !Array.isArray(body.inherits)) throw badInput('"inherits" must be a list of role names');
    const definition: RoleDefinition = {
      name: role,
      grants: patterns(body.grants, 'grants'),
      denies: patterns(body.denies, 'denies'),
      inherits: ((body.inherits as unknown[] | undefined) ?? []).map((r) => name(r, 'an inherited role', ROLE_NAME)),
      description: description(body.description),
    };
    return editor.putRole(actor, role, definition);
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
    const stamped = await authorizer.store.loadSubject(subject);
    const configured = deps.config().policy.subjects.get(subject);
    return { subject, config: configured ? dynamicView(configured) : null, dynamic: dynamicView(stamped.value) };
  });

  /** One change to a subject's dynamic record, with `revokeTokens` from the body or the query. */
  const change = async (request: FastifyRequest, action: string, apply: (current: SubjectRecord) => SubjectRecord, revokeTokens: unknown) => {
    const actor = await deps.authorize(request, 'permgate:admin:rbac:write');
    const subject = subjectOf(request);
    const revoke = flag(revokeTokens ?? (request.query as Plain).revokeTokens, 'revokeTokens');
    const { before, after } = await editor.updateSubject(actor, subject, action, apply, { revokeTokens: revoke });
    return { subject, before: dynamicView(before), after: dynamicView(after), tokensRevoked: revoke };
  };
  const without = (body: unknown, key: string): [unknown, unknown] => {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return [body, undefined];
    const { [key]: taken, ...rest } = body as Plain;
    return [rest, taken];
  };

  admin.put('/admin/rbac/subjects/:subject', async (request) => {
    const [rest, revoke] = without(request.body, 'revokeTokens');
    const body = object(rest, ['roles', 'grants', 'denies'], 'a subject');
    const list = (value: unknown, what: string): unknown[] => {
      if (value === undefined) return [];
      if (!Array.isArray(value)) throw badInput(`"${what}" must be a list`);
      return value;
    };
    const record: SubjectRecord = {
      roles: list(body.roles, 'roles').map(binding),
      grants: list(body.grants, 'grants').map(entry),
      denies: list(body.denies, 'denies').map(entry),
    };
    return change(request, 'rbac.subject.put', () => record, revoke);
  });

  admin.delete('/admin/rbac/subjects/:subject', async (request) =>
    change(request, 'rbac.subject.delete', (current) => {
      if (current.roles.length + current.grants.length + current.denies.length === 0) throw new GatewayError('PG_ADMIN_NOT_FOUND', { detail: 'the subject has no dynamic roles or grants' });
      return { roles: [], grants: [], denies: [] };
    }, undefined),
  );

  admin.post('/admin/rbac/subjects/:subject/roles', async (request, reply) => {
    const [rest, revoke] = without(request.body, 'revokeTokens');
    const added = binding(rest);
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
    admin.post(`/admin/rbac/subjects/:subject/${kind}`, async (request, reply) => {
      const [rest, revoke] = without(request.body, 'revokeTokens');
      const added = entry(rest);
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

  // --- decisions ---------------------------------------------------------------------------------------------
  const decision = async (identity: Identity, method: unknown, path: unknown) => {
    if (typeof method !== 'string' || !/^[A-Z]{1,16}$/.test(method)) throw badInput('"method" must be an HTTP method, e.g. GET');
    if (typeof path !== 'string' || !path.startsWith('/') || path.length > 8192) throw badInput('"path" must be a request path starting with /');
    return explainRequest(deps.routes(), deps.paths(), authorizer, identity, method, path);
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
    return decision(identity, query.method ?? 'GET', query.path);
  });

  admin.post('/admin/decision', async (request) => {
    await deps.authorize(request, 'permgate:admin:decision:read');
    const body = object(request.body, ['token', 'method', 'path'], 'a decision request');
    if (typeof body.token !== 'string' || body.token === '') throw badInput('"token" must be the caller\'s JWT');
    let identity: Identity;
    try {
      identity = await deps.identify(body.token);
    } catch (err) {
      if (err instanceof GatewayError && err.status === 401) throw badInput(`the token is not accepted: ${err.code}${err.detail ? ` (${err.detail})` : ''}`);
      throw err;
    }
    return decision(identity, body.method ?? 'GET', body.path);
  });
}
