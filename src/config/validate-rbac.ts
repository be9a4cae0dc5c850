// The `rbac` section: static roles and subjects, checked whole (patterns, role names, inheritance cycles) so a bad
// policy never starts, and the cache settings.
import { subjectProblem } from '../auth/subject-name.js';
import { EMPTY_SUBJECT, NAME, ROLE_NAME, type PermissionEntry, type RoleBinding, type RoleDefinition, type SubjectRecord } from '../rbac/model.js';
import { PatternError, parsePermissionPattern } from '../rbac/permission-pattern.js';
import { RoleCycleError, RoleGraph, UnknownRoleError } from '../rbac/role-graph.js';
import type { RbacConfig } from './rbac-types.js';
import { closest } from './suggest.js';
import type { Checker } from './checker.js';

type KeyPath = readonly (string | number)[];

export const RBAC_DEFAULTS: Omit<RbacConfig, 'policy'> = {
  cacheSize: 100_000,
  cacheTtl: 5 * 60_000,
  syncInterval: 1_000,
  maxStaleness: 30_000,
  exposeMissingCode: true,
  // A token grants nothing by itself unless the operator says so: its scope codes count only with tokenScopes: true.
  tokenScopes: false,
  auditDenials: 100,
};

export function defaultRbac(): RbacConfig {
  return { ...RBAC_DEFAULTS, policy: { roles: new Map(), subjects: new Map() } };
}

function pattern(c: Checker, path: KeyPath, value: unknown): string | undefined {
  const text = c.string(path, value);
  if (text === undefined) return undefined;
  try {
    parsePermissionPattern(text);
    return text;
  } catch (err) {
    if (err instanceof PatternError) return c.fail(path, err.message);
    throw err;
  }
}

function patterns(c: Checker, path: KeyPath, value: unknown): string[] {
  return (c.list(path, value) ?? []).flatMap((entry, i) => pattern(c, [...path, i], entry) ?? []);
}

/** An expiry as an ISO 8601 date-time with a zone (`2027-01-31T18:00:00Z`); milliseconds since the epoch. */
export function parseExpiry(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : at;
}

function scope(c: Checker, path: KeyPath, entry: Record<string, unknown>): { tenant?: string; expiresAt?: number } {
  const out: { tenant?: string; expiresAt?: number } = {};
  if (entry.tenant !== undefined) {
    const tenant = c.string([...path, 'tenant'], entry.tenant);
    if (tenant !== undefined && !NAME.test(tenant)) c.fail([...path, 'tenant'], 'a tenant is printable ASCII without spaces (≤ 256)');
    else if (tenant !== undefined) out.tenant = tenant;
  }
  if (entry.expires !== undefined) {
    const at = parseExpiry(entry.expires);
    if (at === undefined) c.fail([...path, 'expires'], 'expected a date-time with a zone', 'e.g. 2027-01-31T18:00:00Z');
    else out.expiresAt = at;
  }
  return out;
}

function bindings(c: Checker, path: KeyPath, value: unknown, roles: ReadonlyMap<string, unknown>): RoleBinding[] {
  return (c.list(path, value) ?? []).flatMap((entry, i): RoleBinding[] => {
    const at = [...path, i];
    let role: string | undefined;
    let limits = {};
    if (typeof entry === 'string') role = entry;
    else {
      const b = c.object(at, entry, ['role', 'tenant', 'expires']);
      if (!b) return [];
      role = c.string([...at, 'role'], b.role);
      limits = scope(c, at, b);
    }
    if (role === undefined) return [];
    if (!roles.has(role)) {
      const guess = closest(role, roles.keys());
      c.fail(at, `names no role: "${role}"`, guess ? `did you mean "${guess}"?` : 'define it under rbac.roles');
      return [];
    }
    return [{ role, ...limits }];
  });
}

function entries(c: Checker, path: KeyPath, value: unknown): PermissionEntry[] {
  return (c.list(path, value) ?? []).flatMap((entry, i): PermissionEntry[] => {
    const at = [...path, i];
    if (typeof entry === 'string') {
      const code = pattern(c, at, entry);
      return code === undefined ? [] : [{ code }];
    }
    const e = c.object(at, entry, ['code', 'tenant', 'expires']);
    if (!e) return [];
    const code = pattern(c, [...at, 'code'], e.code);
    return code === undefined ? [] : [{ code, ...scope(c, at, e) }];
  });
}

export function checkRbac(c: Checker, value: unknown): RbacConfig {
  const r = c.object(['rbac'], value ?? {}, ['roles', 'subjects', 'cache', 'syncInterval', 'maxStaleness', 'exposeMissingCode', 'tokenScopes', 'auditDenials']);
  if (!r) return defaultRbac();
  const roles = new Map<string, RoleDefinition>();
  const rawRoles = r.roles === undefined ? {} : c.object(['rbac', 'roles'], r.roles, Object.keys(r.roles as object)) ?? {};
  for (const [name, raw] of Object.entries(rawRoles)) {
    const path = ['rbac', 'roles', name];
    if (!ROLE_NAME.test(name)) c.fail(path, 'a role name holds letters, digits and . _ ~ @ - (≤ 128)', undefined, true);
    const role = c.object(path, raw ?? {}, ['grants', 'denies', 'inherits', 'description']);
    if (!role) continue;
    const inherits = (c.list([...path, 'inherits'], role.inherits) ?? []).flatMap((entry, i) => c.string([...path, 'inherits', i], entry) ?? []);
    roles.set(name, {
      name,
      grants: patterns(c, [...path, 'grants'], role.grants),
      denies: patterns(c, [...path, 'denies'], role.denies),
      inherits,
      description: role.description === undefined ? undefined : c.string([...path, 'description'], role.description),
    });
  }
  try {
    new RoleGraph(roles);
  } catch (err) {
    if (err instanceof RoleCycleError) c.fail(['rbac', 'roles', err.cycle[0]!, 'inherits'], err.message, 'inheritance must not lead back to the role itself');
    else if (err instanceof UnknownRoleError) {
      const guess = closest(err.role, roles.keys());
      c.fail(['rbac', 'roles', err.inheritedBy, 'inherits'], err.message, guess ? `did you mean "${guess}"?` : undefined);
    } else throw err;
  }
  const subjects = new Map<string, SubjectRecord>();
  const rawSubjects = r.subjects === undefined ? {} : c.object(['rbac', 'subjects'], r.subjects, Object.keys(r.subjects as object)) ?? {};
  for (const [name, raw] of Object.entries(rawSubjects)) {
    const path = ['rbac', 'subjects', name];
    const problem = subjectProblem(name); // the data plane's grammar (auth/subject-name.ts): `李雷`, `Jane Doe` are subjects
    if (problem !== undefined) c.fail(path, problem, undefined, true);
    const s = c.object(path, raw ?? {}, ['roles', 'grants', 'denies']);
    if (!s) continue;
    const record: SubjectRecord = {
      roles: bindings(c, [...path, 'roles'], s.roles, roles),
      grants: entries(c, [...path, 'grants'], s.grants),
      denies: entries(c, [...path, 'denies'], s.denies),
    };
    subjects.set(name, record.roles.length + record.grants.length + record.denies.length === 0 ? EMPTY_SUBJECT : record);
  }
  const cache = c.object(['rbac', 'cache'], r.cache ?? {}, ['size', 'ttl']);
  return {
    policy: { roles, subjects },
    cacheSize: c.integer(['rbac', 'cache', 'size'], cache?.size, 1, 10_000_000, RBAC_DEFAULTS.cacheSize)!,
    cacheTtl: c.duration(['rbac', 'cache', 'ttl'], cache?.ttl, RBAC_DEFAULTS.cacheTtl)!,
    syncInterval: c.duration(['rbac', 'syncInterval'], r.syncInterval, RBAC_DEFAULTS.syncInterval)!,
    maxStaleness: c.duration(['rbac', 'maxStaleness'], r.maxStaleness, RBAC_DEFAULTS.maxStaleness)!,
    exposeMissingCode: c.boolean(['rbac', 'exposeMissingCode'], r.exposeMissingCode, RBAC_DEFAULTS.exposeMissingCode)!,
    tokenScopes: c.boolean(['rbac', 'tokenScopes'], r.tokenScopes, RBAC_DEFAULTS.tokenScopes)!,
    auditDenials: c.integer(['rbac', 'auditDenials'], r.auditDenials, 0, 100_000, RBAC_DEFAULTS.auditDenials)!,
  };
}
