// The rows the source's queries return → permgate's policy: each query's fixed columns (checked at start, so a
// mistyped alias is a config error), and how rows become roles and subject records through the preset's mappings.
// Rows that mean nothing are reported and left out; an effect that is neither a grant nor a deny is read as a deny.
import { ROLE_NAME, type PermissionEntry, type RoleBinding, type RoleDefinition, type SubjectRecord } from '../model.js';
import type { SqlQueries } from './sql-preset.js';

export type QueryKey = keyof SqlQueries;

/** Each query's columns: those it must return, and those it may. */
export const COLUMNS: Readonly<Record<QueryKey, { readonly required: readonly string[]; readonly optional: readonly string[] }>> = {
  subjectRoles: { required: ['role'], optional: ['tenant', 'expires_at'] },
  roleGrants: { required: ['role', 'code'], optional: ['effect'] },
  roleParents: { required: ['role', 'parent'], optional: [] },
  subjectGrants: { required: ['code'], optional: ['effect', 'tenant', 'expires_at'] },
  version: { required: ['version'], optional: [] },
};

/** What is wrong with a query's columns, or undefined. */
export function columnProblem(key: QueryKey, columns: readonly string[]): string | undefined {
  const { required, optional } = COLUMNS[key];
  const names = columns.map((c) => c.toLowerCase());
  const missing = required.filter((c) => !names.includes(c));
  const extra = names.filter((c) => !required.includes(c) && !optional.includes(c));
  const allowed = [...required, ...optional.map((c) => `[${c}]`)].join(', ');
  if (missing.length > 0) return `returns no ${missing.join(', ')} column (it must return ${allowed}; alias with AS)`;
  if (extra.length > 0) return `returns ${extra.join(', ')}, which is not one of ${allowed} (alias with AS, or leave it out)`;
  const twice = names.find((c, i) => names.indexOf(c) !== i);
  if (twice !== undefined) return `returns ${twice} twice`;
  return undefined;
}

/** How one schema's strings become permgate's (the preset's, or as written). */
export interface RowMapping {
  codes(raw: string): readonly string[];
  role(raw: string): string;
}

export const AS_WRITTEN: RowMapping = { codes: (raw) => (raw.trim() === '' ? [] : [raw.trim()]), role: (raw) => raw };

/** A row that was left out, for the log. Never the whole row: it may hold data the operator did not mean to log. */
export type RowReport = (where: string, reason: string) => void;

const field = (row: Readonly<Record<string, unknown>>, name: string): unknown => {
  if (Object.hasOwn(row, name)) return row[name];
  for (const key of Object.keys(row)) if (key.toLowerCase() === name) return row[key];
  return undefined;
};

const textOf = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'bigint' ? String(value) : undefined;

function roleName(raw: unknown, mapping: RowMapping, report: RowReport, where: string): string | undefined {
  const text = textOf(raw);
  if (text === undefined) return undefined;
  const name = mapping.role(text);
  if (!ROLE_NAME.test(name)) {
    report(where, `role name ${JSON.stringify(name.slice(0, 64))} is not letters, digits and . _ ~ @ - (≤ 128): left out`);
    return undefined;
  }
  return name;
}

/** 'deny' denies; a grant is 'grant', 'allow' or nothing; anything else is read as a deny (never a wrongful allow). */
function isDeny(value: unknown, report: RowReport, where: string): boolean {
  if (value === null || value === undefined) return false;
  const effect = String(value).toLowerCase();
  if (effect === 'grant' || effect === 'allow') return false;
  if (effect !== 'deny') report(where, `effect ${JSON.stringify(effect.slice(0, 32))} is neither grant nor deny: read as deny`);
  return true;
}

/** An `expires_at` value as milliseconds since the epoch; undefined for none. NaN (unreadable) counts as expired. */
function expiresAt(value: unknown): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value;
  const parsed = Date.parse(String(value));
  return Number.isNaN(parsed) ? 0 : parsed;
}

function scope(row: Readonly<Record<string, unknown>>): { tenant?: string; expiresAt?: number } {
  const tenant = textOf(field(row, 'tenant'));
  const expires = expiresAt(field(row, 'expires_at'));
  return { ...(tenant === undefined ? {} : { tenant }), ...(expires === undefined ? {} : { expiresAt: expires }) };
}

interface RoleParts {
  readonly grants: Set<string>;
  readonly denies: Set<string>;
  readonly inherits: Set<string>;
}

/**
 * Every role from the roleGrants and roleParents rows. A parent named only as a parent is a role without grants, so
 * inheritance never names an undefined role.
 */
export function rolesFromRows(
  grantRows: readonly Readonly<Record<string, unknown>>[],
  parentRows: readonly Readonly<Record<string, unknown>>[],
  mapping: RowMapping,
  report: RowReport,
): Map<string, RoleDefinition> {
  const parts = new Map<string, RoleParts>();
  const role = (name: string): RoleParts => {
    let entry = parts.get(name);
    if (entry === undefined) parts.set(name, (entry = { grants: new Set(), denies: new Set(), inherits: new Set() }));
    return entry;
  };
  for (const row of grantRows) {
    const name = roleName(field(row, 'role'), mapping, report, 'roleGrants');
    const raw = textOf(field(row, 'code'));
    if (name === undefined || raw === undefined) continue;
    const target = isDeny(field(row, 'effect'), report, `roleGrants, role ${name}`) ? role(name).denies : role(name).grants;
    for (const code of mapping.codes(raw)) target.add(code);
  }
  for (const row of parentRows) {
    const name = roleName(field(row, 'role'), mapping, report, 'roleParents');
    const parent = roleName(field(row, 'parent'), mapping, report, 'roleParents');
    if (name === undefined || parent === undefined || name === parent) continue;
    role(name).inherits.add(parent);
    role(parent);
  }
  const roles = new Map<string, RoleDefinition>();
  for (const [name, p] of [...parts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    roles.set(name, { name, grants: [...p.grants].sort(), denies: [...p.denies].sort(), inherits: [...p.inherits].sort() });
  }
  return roles;
}

/** One subject's record from its subjectRoles and subjectGrants rows. */
export function subjectFromRows(
  roleRows: readonly Readonly<Record<string, unknown>>[],
  grantRows: readonly Readonly<Record<string, unknown>>[],
  mapping: RowMapping,
  report: RowReport,
): SubjectRecord {
  const roles: RoleBinding[] = [];
  for (const row of roleRows) {
    const role = roleName(field(row, 'role'), mapping, report, 'subjectRoles');
    if (role !== undefined) roles.push({ role, ...scope(row) });
  }
  const grants: PermissionEntry[] = [];
  const denies: PermissionEntry[] = [];
  for (const row of grantRows) {
    const raw = textOf(field(row, 'code'));
    if (raw === undefined) continue;
    const target = isDeny(field(row, 'effect'), report, 'subjectGrants') ? denies : grants;
    for (const code of mapping.codes(raw)) target.push({ code, ...scope(row) });
  }
  return { roles, grants, denies };
}

/** Two roles the same, as far as a decision goes. */
export function sameRole(a: RoleDefinition | undefined, b: RoleDefinition | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const same = (x: readonly string[], y: readonly string[]): boolean => x.length === y.length && x.every((v, i) => v === y[i]);
  return same(a.grants, b.grants) && same(a.denies, b.denies) && same(a.inherits, b.inherits);
}
