// Rows read by a preset's queries (sql-preset.ts), turned into the policy model (model.ts): a subject's record from its
// subjectRoles and subjectGrants rows, every role from the roleGrants and roleParents rows. Pure, so the mapping can be
// proven on rows alone. When in doubt it denies, as stored-policy.ts does: a grant that maps to nothing is dropped, a
// deny that maps to nothing becomes `*` in the same scope, and either is reported.
import { NAME, ROLE_NAME, type PermissionEntry, type RoleBinding, type RoleDefinition, type SubjectRecord } from '../model.js';
import { parsePermissionPattern } from '../permission-pattern.js';
import { widenDeny, type BadPatternReport } from '../stored-policy.js';
import type { SqlPreset } from './sql-preset.js';

/** What of a preset turning rows into policy reads: its name (for reports) and its two mappings. */
export type RowPreset = Pick<SqlPreset, 'codes' | 'role'> & { readonly name: string };

/** One row as a driver returns it: column name → value. */
export type SqlRow = Readonly<Record<string, unknown>>;

type Effect = 'grant' | 'deny';

const SHOWN = 100;
const shown = (value: unknown): string => {
  const text = typeof value === 'string' ? value : String(value);
  return text.length > SHOWN ? `${text.slice(0, SHOWN)}…` : text;
};

function isPattern(code: string): boolean {
  try {
    parsePermissionPattern(code);
    return true;
  } catch {
    return false;
  }
}

/** `effect` column: absent means grant; anything but 'grant' or 'deny' is read as a deny (and reported). */
function effectOf(row: SqlRow, where: string, report: BadPatternReport): Effect {
  const effect = row['effect'];
  if (effect === undefined || effect === null || effect === 'grant') return 'grant';
  if (effect !== 'deny') report({ where: `${where} effect`, pattern: shown(effect), reason: "an effect is 'grant' or 'deny'", replacedBy: 'deny' });
  return 'deny';
}

/** `expires_at`: a Date (both drivers), epoch milliseconds or an ISO text; null means no expiry. */
function expiryOf(row: SqlRow): number | undefined | 'invalid' {
  const value = row['expires_at'];
  if (value === undefined || value === null) return undefined;
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isFinite(ms) ? ms : 'invalid';
}

function tenantOf(row: SqlRow): string | undefined | 'invalid' {
  const value = row['tenant'];
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' && NAME.test(value) ? value : 'invalid';
}

/** The preset's patterns for one stored permission string, each checked; `[]` when none is usable (reported). */
function patternsOf(preset: RowPreset, raw: unknown, effect: Effect, where: string, report: BadPatternReport): string[] {
  // An empty permission string is a row that grants nothing by design (RuoYi's directories and menus): not reported.
  if (effect === 'grant' && typeof raw === 'string' && raw.trim() === '') return [];
  const mapped = typeof raw === 'string' ? preset.codes(raw) : [];
  const usable = mapped.filter((code) => isPattern(code));
  if (usable.length === mapped.length && usable.length > 0) return usable;
  const reason = mapped.length === 0 ? `means no permission to the ${preset.name} preset` : 'maps to a string that is not a permission pattern';
  const replacedBy = effect === 'deny' ? (mapped.length === 0 ? '*' : widenDeny(mapped.find((code) => !isPattern(code)))) : undefined;
  report({ where: `${where} ${effect}`, pattern: shown(raw), reason, replacedBy });
  return replacedBy === undefined ? usable : [...usable, replacedBy];
}

/** The preset's name for one stored role, or undefined when it is not a usable role name (reported). */
function roleOf(preset: RowPreset, raw: unknown, where: string, report: BadPatternReport): string | undefined {
  const name = typeof raw === 'string' ? preset.role(raw) : undefined;
  if (name !== undefined && ROLE_NAME.test(name)) return name;
  report({ where, pattern: shown(raw), reason: `is not a role name (${ROLE_NAME.source}) once mapped by the ${preset.name} preset`, replacedBy: undefined });
  return undefined;
}

/**
 * One subject's record from its subjectRoles rows (`role` [, `tenant`] [, `expires_at`]) and subjectGrants rows
 * (`code` [, `effect`] [, `tenant`] [, `expires_at`]).
 * @example rowsToSubject(springSecurity, 'carol', [{ role: 'ROLE_ADMIN' }], [{ code: 'order:read' }], report)
 *   → { roles: [{ role: 'ADMIN' }], grants: [{ code: 'order:read' }], denies: [] }
 */
export function rowsToSubject(preset: RowPreset, subject: string, roleRows: readonly SqlRow[], grantRows: readonly SqlRow[], report: BadPatternReport): SubjectRecord {
  const where = `subject ${shown(subject)}`;
  const roles: RoleBinding[] = [];
  const grants: PermissionEntry[] = [];
  const denies: PermissionEntry[] = [];
  for (const row of roleRows) {
    const role = roleOf(preset, row['role'], `${where} role`, report);
    const tenant = tenantOf(row);
    const expiresAt = expiryOf(row);
    // A binding whose limits cannot be read is dropped: holding it everywhere or forever would grant more.
    if (tenant === 'invalid' || expiresAt === 'invalid') {
      report({ where: `${where} role`, pattern: shown(row['role']), reason: 'its tenant or expires_at cannot be read', replacedBy: undefined });
      continue;
    }
    if (role !== undefined) roles.push(scoped({ role }, tenant, expiresAt));
  }
  for (const row of grantRows) {
    const effect = effectOf(row, where, report);
    let tenant = tenantOf(row);
    let expiresAt = expiryOf(row);
    if (tenant === 'invalid' || expiresAt === 'invalid') {
      // A grant whose limits cannot be read is dropped; such a deny holds everywhere and forever (a superset).
      const replacedBy = effect === 'deny' ? 'the same deny, in every tenant and without expiry' : undefined;
      report({ where: `${where} ${effect}`, pattern: shown(row['code']), reason: 'its tenant or expires_at cannot be read', replacedBy });
      if (effect === 'grant') continue;
      tenant = expiresAt = undefined;
    }
    const into = effect === 'grant' ? grants : denies;
    for (const code of patternsOf(preset, row['code'], effect, where, report)) into.push(scoped({ code }, tenant, expiresAt));
  }
  return { roles, grants, denies };
}

function scoped<T extends object>(value: T, tenant: string | undefined, expiresAt: number | undefined): T {
  return { ...value, ...(tenant !== undefined && { tenant }), ...(expiresAt !== undefined && { expiresAt }) };
}

/**
 * Every role from the roleGrants rows (`role`, `code` [, `effect`]) and roleParents rows (`role`, `parent`). A role
 * named only as a parent is defined empty, so the role graph never meets an undefined role; the YAML `rbac` section
 * may give it grants.
 */
export function rowsToRoles(preset: RowPreset, grantRows: readonly SqlRow[], parentRows: readonly SqlRow[], report: BadPatternReport): Map<string, RoleDefinition> {
  const built = new Map<string, { grants: Set<string>; denies: Set<string>; inherits: Set<string> }>();
  const role = (name: string) => {
    let entry = built.get(name);
    if (entry === undefined) built.set(name, (entry = { grants: new Set(), denies: new Set(), inherits: new Set() }));
    return entry;
  };
  for (const row of grantRows) {
    const name = roleOf(preset, row['role'], 'roleGrants role', report);
    if (name === undefined) continue;
    const where = `role ${name}`;
    const effect = effectOf(row, where, report);
    const into = effect === 'grant' ? role(name).grants : role(name).denies;
    for (const code of patternsOf(preset, row['code'], effect, where, report)) into.add(code);
  }
  for (const row of parentRows) {
    const name = roleOf(preset, row['role'], 'roleParents role', report);
    const parent = roleOf(preset, row['parent'], `roleParents parent of ${shown(row['role'])}`, report);
    if (name === undefined || parent === undefined || name === parent) continue;
    role(name).inherits.add(parent);
    role(parent);
  }
  const roles = new Map<string, RoleDefinition>();
  for (const [name, r] of built) roles.set(name, { name, grants: [...r.grants], denies: [...r.denies], inherits: [...r.inherits] });
  return roles;
}
