// Spring Security's JDBC schema (users, authorities, groups, group_authorities, group_members) as a permission
// source. An authority starting with `ROLE_` (exactly, as hasRole() compares) binds the role without the prefix;
// any other authority is a permission code granted directly. A group is a role named `group.<group_name>`: its plain
// authorities are its grants, its `ROLE_` authorities roles it inherits. A disabled user (enabled = false) holds
// nothing, as Spring refuses to load one; a username missing from `users` holds nothing either.
import type { SqlDialect, SqlPreset, SqlQueries } from '../sql-preset.js';
import { changeTriggers } from './change-triggers.js';
import { literalCodes } from './literal-codes.js';
import { versionQuery } from './version-query.js';
import type { WatchedTable } from './watched-table.js';

const ROLE_PREFIX = 'ROLE_';
/** Groups get their own namespace: a group called ADMIN must not become the role ADMIN that ROLE_ADMIN binds. */
export const GROUP_ROLE_PREFIX = 'group.';

const TABLES: readonly WatchedTable[] = [
  { table: 'users', columns: ['username', 'enabled'], touches: (r) => ({ subjects: [`${r}.username`], roles: [] }) },
  { table: 'authorities', columns: ['username', 'authority'], touches: (r) => ({ subjects: [`${r}.username`], roles: [] }) },
  { table: 'groups', columns: ['id', 'group_name'], touches: (r) => ({ subjects: [], roles: [`'${GROUP_ROLE_PREFIX}' || ${r}.group_name`] }) },
  {
    table: 'group_authorities',
    columns: ['group_id', 'authority'],
    touches: (r) => ({ subjects: [], roles: [`(SELECT '${GROUP_ROLE_PREFIX}' || g.group_name FROM "groups" g WHERE g.id = ${r}.group_id)`] }),
  },
  { table: 'group_members', columns: ['username', 'group_id'], touches: (r) => ({ subjects: [`${r}.username`], roles: [] }) },
];

function queries(dialect: SqlDialect): SqlQueries {
  const pg = dialect === 'postgres';
  const groups = pg ? '"groups"' : '`groups`';
  // The prefix test must be case-sensitive, as Spring's is; MariaDB's default collation is not.
  const isRole = (column: string) => (pg ? `left(${column}, 5) = '${ROLE_PREFIX}'` : `CAST(LEFT(${column}, 5) AS BINARY) = '${ROLE_PREFIX}'`);
  const groupRole = pg ? `'${GROUP_ROLE_PREFIX}' || g.group_name` : `CONCAT('${GROUP_ROLE_PREFIX}', g.group_name)`;
  // One enabled user, or none: every subject query starts from it, so a disabled user holds nothing.
  const user = 'SELECT u.username FROM users u WHERE u.username = :subject AND u.enabled = TRUE';
  // The group a role name `group.<name>` stands for; its group_authorities rows are found by group_id (index it).
  const start = GROUP_ROLE_PREFIX.length + 1;
  const ofGroup = pg
    ? `g.group_name = substr(:role, ${start}) AND left(:role, ${GROUP_ROLE_PREFIX.length}) = '${GROUP_ROLE_PREFIX}'`
    : `g.group_name = SUBSTRING(:role, ${start}) AND LEFT(:role, ${GROUP_ROLE_PREFIX.length}) = '${GROUP_ROLE_PREFIX}'`;
  const roleGrants = `SELECT ${groupRole} AS role, ga.authority AS code FROM ${groups} g JOIN group_authorities ga ON ga.group_id = g.id WHERE NOT (${isRole('ga.authority')})`;
  const roleParents = `SELECT ${groupRole} AS role, ga.authority AS parent FROM ${groups} g JOIN group_authorities ga ON ga.group_id = g.id WHERE ${isRole('ga.authority')}`;
  return {
    subjectRoles:
      `SELECT a.authority AS role FROM (${user}) s JOIN authorities a ON a.username = s.username WHERE ${isRole('a.authority')} ` +
      `UNION SELECT ${groupRole} AS role FROM (${user}) s ` +
      `JOIN group_members m ON m.username = s.username JOIN ${groups} g ON g.id = m.group_id`,
    subjectGrants: `SELECT a.authority AS code FROM (${user}) s JOIN authorities a ON a.username = s.username WHERE NOT (${isRole('a.authority')})`,
    roleGrants,
    roleGrantsOf: `${roleGrants} AND ${ofGroup}`,
    roleParents,
    roleParentsOf: `${roleParents} AND ${ofGroup}`,
    version: versionQuery(dialect, TABLES),
  };
}

export const springSecurityPreset: SqlPreset = {
  name: 'spring-security',
  queries,
  /** An authority is one exact string to Spring: only a plain code is taken, never as a pattern (`*` is refused). */
  codes: literalCodes,
  /** @example 'ROLE_ADMIN' → 'ADMIN'; 'group.warehouse' → 'group.warehouse' */
  role: (raw) => (raw.startsWith(ROLE_PREFIX) ? raw.slice(ROLE_PREFIX.length) : raw),
  triggers: (dialect, channel) => changeTriggers(dialect, channel, 'spring_security', TABLES),
};
