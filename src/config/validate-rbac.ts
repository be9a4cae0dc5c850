// Checks the `rbac` section beyond its schema (schema/rbac-schema.ts): permission patterns, role and subject names,
// bindings that name defined roles, and inheritance without cycles, so a bad policy never starts.
import { subjectProblem } from '../auth/subject-name.js';
import { ConditionError, compileCondition, type ConditionSpec } from '../rbac/condition.js';
import { EMPTY_SUBJECT, ROLE_NAME, type ConditionalGrant, type PermissionEntry, type RoleBinding, type RoleDefinition, type SubjectRecord } from '../rbac/model.js';
import { PatternError, parsePermissionPattern } from '../rbac/permission-pattern.js';
import { RoleCycleError, RoleGraph, UnknownRoleError } from '../rbac/role-graph.js';
import { Checker, isPlain, ms, type KeyPath } from './checker.js';
import type { RbacConfig } from './rbac-types.js';
import { parseExpiry } from './schema/formats.js';
import { prepareValue } from './schema/prepare-value.js';
import { RbacSchema, type RbacSection } from './schema/rbac-schema.js';
import type { SchemaNode } from './schema/schema-node.js';
import { closest } from './suggest.js';
import { checkSqlSource } from './validate-sql-source.js';

export { parseExpiry } from './schema/formats.js';

/** The `rbac` settings when the config has no `rbac` section: the schema's defaults, no static roles or subjects. */
export function defaultRbac(): RbacConfig {
  const unused = new Checker(() => ({ file: '', line: 0, column: 0 }));
  return checkRbac(unused, prepareValue(RbacSchema as SchemaNode, {}) as RbacSection);
}

/** A permission pattern, or undefined (reported) when its syntax is wrong. */
function pattern(c: Checker, path: KeyPath, value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    parsePermissionPattern(value);
    return value;
  } catch (err) {
    if (err instanceof PatternError) return c.fail(path, err.message);
    throw err;
  }
}

function patterns(c: Checker, path: KeyPath, value: unknown): string[] {
  return (Array.isArray(value) ? value : []).flatMap((entry, i) => pattern(c, [...path, i], entry) ?? []);
}

/** A `when` that compiles, or undefined (reported at the key that is wrong: `….when.time`, `….when.ip.2`). */
function condition(c: Checker, path: KeyPath, value: unknown): { when?: ConditionSpec } {
  if (value === undefined) return {};
  try {
    compileCondition(value as ConditionSpec);
    return { when: value as ConditionSpec };
  } catch (err) {
    if (!(err instanceof ConditionError)) throw err;
    const key = err.key.split(/[.[\]]/).filter(Boolean).map((part) => (/^\d+$/.test(part) ? Number(part) : part));
    c.fail([...path, ...(err.key === 'when' ? [] : key)], err.message);
    return {};
  }
}

/** A role's grants: codes, and `{ code, when }` held only under the condition. */
function roleGrants(c: Checker, path: KeyPath, value: unknown): { grants: string[]; conditionalGrants?: ConditionalGrant[] } {
  const grants: string[] = [];
  const conditional: ConditionalGrant[] = [];
  (Array.isArray(value) ? value : []).forEach((entry: unknown, i) => {
    if (!isPlain(entry)) {
      const code = pattern(c, [...path, i], entry);
      if (code !== undefined) grants.push(code);
      return;
    }
    const code = pattern(c, [...path, i, 'code'], entry.code);
    const { when } = condition(c, [...path, i, 'when'], entry.when);
    if (code !== undefined && when !== undefined) conditional.push({ code, when });
  });
  return conditional.length > 0 ? { grants, conditionalGrants: conditional } : { grants };
}

function scope(entry: Record<string, unknown>): { tenant?: string; expiresAt?: number } {
  const expiresAt = parseExpiry(entry.expires);
  return { ...(typeof entry.tenant === 'string' ? { tenant: entry.tenant } : {}), ...(expiresAt === undefined ? {} : { expiresAt }) };
}

function bindings(c: Checker, path: KeyPath, value: unknown, roles: ReadonlyMap<string, unknown>): RoleBinding[] {
  return (Array.isArray(value) ? value : []).flatMap((entry: unknown, i): RoleBinding[] => {
    const role = typeof entry === 'string' ? entry : isPlain(entry) && typeof entry.role === 'string' ? entry.role : undefined;
    if (role === undefined) return [];
    if (!roles.has(role)) {
      const guess = closest(role, roles.keys());
      c.fail([...path, i], `names no role: "${role}"`, guess ? `did you mean "${guess}"?` : 'define it under rbac.roles');
      return [];
    }
    return [{ role, ...(isPlain(entry) ? { ...scope(entry), ...condition(c, [...path, i, 'when'], entry.when) } : {}) }];
  });
}

function entries(c: Checker, path: KeyPath, value: unknown, effect: 'grant' | 'deny'): PermissionEntry[] {
  return (Array.isArray(value) ? value : []).flatMap((entry: unknown, i): PermissionEntry[] => {
    const code = typeof entry === 'string' ? pattern(c, [...path, i], entry) : isPlain(entry) ? pattern(c, [...path, i, 'code'], entry.code) : undefined;
    if (isPlain(entry) && entry.when !== undefined && effect === 'deny') {
      c.fail([...path, i, 'when'], 'a deny cannot carry a condition', 'a deny holds always; put the condition on the grant instead');
      return [];
    }
    return code === undefined ? [] : [{ code, ...(isPlain(entry) ? { ...scope(entry), ...condition(c, [...path, i, 'when'], entry.when) } : {}) }];
  });
}

function checkRoles(c: Checker, given: RbacSection['roles']): Map<string, RoleDefinition> {
  const roles = new Map<string, RoleDefinition>();
  for (const [name, role] of Object.entries(isPlain(given) ? given : {})) {
    const path = ['rbac', 'roles', name];
    if (!ROLE_NAME.test(name)) c.fail(path, 'a role name holds letters, digits and . _ ~ @ - (≤ 128)', undefined, true);
    if (!isPlain(role)) continue;
    roles.set(name, {
      name,
      ...roleGrants(c, [...path, 'grants'], role.grants),
      denies: patterns(c, [...path, 'denies'], role.denies),
      inherits: (Array.isArray(role.inherits) ? role.inherits : []).filter((r): r is string => typeof r === 'string'),
      description: role.description,
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
  return roles;
}

export function checkRbac(c: Checker, r: RbacSection): RbacConfig {
  const roles = checkRoles(c, r.roles);
  const subjects = new Map<string, SubjectRecord>();
  for (const [name, s] of Object.entries(isPlain(r.subjects) ? r.subjects : {})) {
    const path = ['rbac', 'subjects', name];
    const problem = subjectProblem(name); // the data plane's grammar (auth/subject-name.ts): `李雷`, `Jane Doe` are subjects
    if (problem !== undefined) c.fail(path, problem, undefined, true);
    if (!isPlain(s)) continue;
    const record: SubjectRecord = {
      roles: bindings(c, [...path, 'roles'], s.roles, roles),
      grants: entries(c, [...path, 'grants'], s.grants, 'grant'),
      denies: entries(c, [...path, 'denies'], s.denies, 'deny'),
    };
    subjects.set(name, record.roles.length + record.grants.length + record.denies.length === 0 ? EMPTY_SUBJECT : record);
  }
  const sql = r.source?.sql === undefined ? undefined : checkSqlSource(c, r.source.sql, ms(r.syncInterval)!);
  return {
    policy: { roles, subjects },
    cacheSize: r.cache!.size!,
    cacheTtl: ms(r.cache!.ttl)!,
    syncInterval: ms(r.syncInterval)!,
    maxStaleness: ms(r.maxStaleness)!,
    exposeMissingCode: r.exposeMissingCode!,
    tokenScopes: r.tokenScopes!,
    auditDenials: r.auditDenials!,
    usage: { record: r.usage!.record!, flushInterval: ms(r.usage!.flushInterval)! },
    denialSpikes: {
      threshold: r.denialSpikes!.threshold!,
      window: ms(r.denialSpikes!.window)!,
      webhook: webhookUrl(c, r.denialSpikes!.webhook),
      webhookTimeout: ms(r.denialSpikes!.webhookTimeout)!,
    },
    ...(sql === undefined ? {} : { source: { sql } }),
  };
}

/** `rbac.denialSpikes.webhook`: an http(s) URL without credentials (they would be logged with failures), or none. */
function webhookUrl(c: Checker, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  const path = ['rbac', 'denialSpikes', 'webhook'];
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return c.fail(path, `"${value}" is not a URL`, 'e.g. https://alerts.example.com/permgate');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return c.fail(path, 'must be an http:// or https:// URL');
  if (url.username !== '' || url.password !== '') return c.fail(path, 'must not hold credentials', 'put a secret in the path or query instead, through ${ENV_VAR}');
  return url.href;
}
