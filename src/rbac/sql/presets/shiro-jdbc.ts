// Apache Shiro's JdbcRealm default schema (users, user_roles, roles_permissions) as a permission source. Roles are
// read by username as JdbcRealm reads them, for users that still exist in `users`; a binding meets a role's permissions
// as JdbcRealm's query meets them, by the database's collation.
// Shiro has no role inheritance and no direct grants, so roleParents and subjectGrants are absent.
import type { SqlDialect, SqlPreset, SqlQueries } from '../sql-preset.js';
import { namesSubject, parsePermissionPattern } from '../../permission-pattern.js';
import { changeTriggers } from './change-triggers.js';
import { versionQuery } from './version-query.js';
import type { WatchedTable } from './watched-table.js';

const TABLES: readonly WatchedTable[] = [
  { table: 'users', columns: ['username'], touches: (r) => ({ subjects: [`${r}.username`], roles: [] }) },
  { table: 'user_roles', columns: ['username', 'role_name'], touches: (r) => ({ subjects: [`${r}.username`], roles: [] }) },
  { table: 'roles_permissions', columns: ['role_name', 'permission'], touches: (r) => ({ subjects: [], roles: [`${r}.role_name`] }) },
];

const USER_ROLES = 'FROM users u JOIN user_roles ur ON ur.username = u.username';

function queries(dialect: SqlDialect): SqlQueries {
  return {
    // JdbcRealm finds a role's permissions with `WHERE role_name = ?`, so the database's collation decides which rows
    // belong to a binding. MySQL/MariaDB collations ignore case and trailing spaces by default: there a binding to
    // `GUEST` holds the permissions of `guest`, and the role is named as roles_permissions spells it (every spelling
    // it has, as Shiro would read them all). PostgreSQL compares exactly, as permgate's own role lookup does.
    subjectRoles:
      dialect === 'mysql'
        ? `SELECT DISTINCT COALESCE(rp.role_name, ur.role_name) AS role ${USER_ROLES} LEFT JOIN roles_permissions rp ON rp.role_name = ur.role_name WHERE u.username = :subject`
        : `SELECT ur.role_name AS role ${USER_ROLES} WHERE u.username = :subject`,
    roleGrants: 'SELECT role_name AS role, permission AS code FROM roles_permissions',
    // The primary key (role_name, permission) finds one role's rows.
    roleGrantsOf: 'SELECT role_name AS role, permission AS code FROM roles_permissions WHERE role_name = :role',
    version: versionQuery(dialect, TABLES),
  };
}

/**
 * A Shiro wildcard permission → the permgate pattern that covers the same codes. Shiro reads a permission with fewer
 * parts than the checked one as implying everything below it (`printer:print` covers `printer:print:lp7200`);
 * permgate's patterns cover more parts only after a trailing `*`, so one is appended unless the last part is `*`
 * already. Shiro compares case-insensitively by default (it lowercases both sides), so the pattern is lowercased:
 * route codes must be written in lowercase to meet it. A part whose list holds `*` is `*` to Shiro, and so here.
 * Shiro trims the whole string but not its parts, so a space inside (`a: b`) is a literal no check ever meets: such a
 * permission is refused (reported) rather than read as `a:b`. So is a `{subject}` part: a literal to Shiro, which no
 * check ever meets, but to permgate the holder's own name (`doc:edit:{subject}` would let alice edit `doc:edit:alice`).
 * @example shiroPattern('printer:print') → 'printer:print:*'; shiroPattern('*') → '*';
 *   shiroPattern('Printer:query,print:lp7200') → 'printer:query,print:lp7200:*'; shiroPattern('/api/x') → undefined
 */
export function shiroPattern(raw: string): string | undefined {
  const parts = raw.trim().toLowerCase().split(':').map((part) => {
    const items = part.split(',');
    return items.includes('*') ? '*' : items.join(',');
  });
  if (parts.at(-1) !== '*') parts.push('*');
  const pattern = parts.join(':');
  if (namesSubject(pattern)) return undefined;
  try {
    parsePermissionPattern(pattern);
    return pattern;
  } catch {
    return undefined;
  }
}

export const shiroJdbcPreset: SqlPreset = {
  name: 'shiro-jdbc',
  queries,
  codes: (raw) => {
    const pattern = shiroPattern(raw);
    return pattern === undefined ? [] : [pattern];
  },
  role: (raw) => raw,
  triggers: (dialect, channel) => changeTriggers(dialect, channel, 'shiro_jdbc', TABLES),
};
