// The rows the source's queries return → permgate's policy: each query's fixed columns (checked at start, so a
// mistyped alias is a config error), and how rows become roles and subject records through the preset's mappings.
// Rows that mean nothing are reported and left out; an effect that is neither a grant nor a deny is read as a deny.
import { ROLE_NAME, type PermissionEntry, type RoleBinding, type RoleDefinition, type SubjectRecord } from '../model.js';
import type { BadPatternReport } from '../stored-policy.js';
import { rowsToRoles, rowsToSubject, type SqlRow } from './rows-to-policy.js';
import type { SqlQueries } from './sql-preset.js';

export type QueryKey = keyof SqlQueries;

/** Each query's columns: those it must return, and those it may. */
export const COLUMNS: Readonly<Record<QueryKey, { readonly required: readonly string[]; readonly optional: readonly string[] }>> = {
  subjectRoles: { required: ['role'], optional: ['tenant', 'expires_at'] },
  roleGrants: { required: ['role', 'code'], optional: ['effect'] },
  roleGrantsOf: { required: ['role', 'code'], optional: ['effect'] },
  roleParents: { required: ['role', 'parent'], optional: [] },
  roleParentsOf: { required: ['role', 'parent'], optional: [] },
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
  /** The preset's name, or `none`: named in reports. */
  readonly name: string;
  codes(raw: string): readonly string[];
  role(raw: string): string;
}

export const AS_WRITTEN: RowMapping = { name: 'none', codes: (raw) => (raw.trim() === '' ? [] : [raw.trim()]), role: (raw) => raw };

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

/** Rows whose column names a driver returned in another case (`ROLE`), with lowercase names as the mapping reads them. */
export function lowercased(rows: readonly Readonly<Record<string, unknown>>[]): readonly SqlRow[] {
  const first = rows[0];
  if (first === undefined || Object.keys(first).every((key) => key === key.toLowerCase())) return rows;
  return rows.map((row) => Object.fromEntries(Object.entries(row).map(([key, value]) => [key.toLowerCase(), value])));
}

/** The mapping's reports as the source logs them: where, and why, with what replaced a deny. */
export function reporting(report: RowReport): BadPatternReport {
  return (bad) => report(bad.where, `${bad.pattern}: ${bad.reason}${bad.replacedBy === undefined ? ' (left out)' : ` (replaced by ${bad.replacedBy})`}`);
}

/**
 * Every role from the roleGrants and roleParents rows (rows-to-policy.ts: a grant that maps to nothing is left out, a
 * deny that maps to nothing becomes `*`). A parent named only as a parent is a role without grants, so inheritance
 * never names an undefined role.
 */
export function rolesFromRows(
  grantRows: readonly Readonly<Record<string, unknown>>[],
  parentRows: readonly Readonly<Record<string, unknown>>[],
  mapping: RowMapping,
  report: RowReport,
): Map<string, RoleDefinition> {
  const roles = rowsToRoles(mapping, lowercased(grantRows), lowercased(parentRows), reporting(report));
  const sorted = new Map<string, RoleDefinition>();
  for (const name of [...roles.keys()].sort()) {
    const role = roles.get(name)!;
    sorted.set(name, { ...role, grants: [...role.grants].sort(), denies: [...role.denies].sort(), inherits: [...role.inherits].sort() });
  }
  return sorted;
}

/** One subject's record from its subjectRoles and subjectGrants rows. */
export function subjectFromRows(
  roleRows: readonly Readonly<Record<string, unknown>>[],
  grantRows: readonly Readonly<Record<string, unknown>>[],
  mapping: RowMapping,
  report: RowReport,
  subject = 'the subject',
): SubjectRecord {
  return rowsToSubject(mapping, subject, lowercased(roleRows), lowercased(grantRows), reporting(report));
}

/** Two roles the same, as far as a decision goes. */
export function sameRole(a: RoleDefinition | undefined, b: RoleDefinition | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const same = (x: readonly string[], y: readonly string[]): boolean => x.length === y.length && x.every((v, i) => v === y[i]);
  return same(a.grants, b.grants) && same(a.denies, b.denies) && same(a.inherits, b.inherits);
}
