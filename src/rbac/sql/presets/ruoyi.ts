// RuoYi (RuoYi-Vue and its forks): sys_user / sys_role / sys_menu / sys_user_role / sys_role_menu. A user holds the
// roles bound to it that are normal (status '0') and not deleted (del_flag '0'); a role holds the `perms` of its menus
// that are normal; a menu's `perms` may list several codes separated by commas, and an empty one is a directory or
// page, not a grant. RuoYi's super-admin is user_id 1 (it holds `*:*:*` in RuoYi's own code), and `*:*:*` anywhere
// means every permission: both become permgate's `*`, which covers everything but the permgate admin namespace.
// The subject is `sys_user.user_name`; a role is named by its `role_key`.
import type { SqlDialect, SqlPreset, SqlQueries } from '../sql-preset.js';
import { VERSION_QUERY, versionTableSql } from '../version-table.js';
import { literalCodes } from './literal-codes.js';

/** RuoYi's spelling of "every permission". */
const SUPER = '*:*:*';

const ROLE_GRANTS = `SELECT r.role_key AS role, m.perms AS code
  FROM sys_role r JOIN sys_role_menu rm ON rm.role_id = r.role_id JOIN sys_menu m ON m.menu_id = rm.menu_id
  WHERE r.status = '0' AND r.del_flag = '0' AND m.status = '0' AND m.perms IS NOT NULL AND m.perms <> ''`;

const QUERIES: SqlQueries = {
  subjectRoles: `SELECT r.role_key AS role
  FROM sys_user u JOIN sys_user_role ur ON ur.user_id = u.user_id JOIN sys_role r ON r.role_id = ur.role_id
  WHERE u.user_name = :subject AND u.status = '0' AND u.del_flag = '0' AND r.status = '0' AND r.del_flag = '0'`,
  roleGrants: ROLE_GRANTS,
  // sys_role (a row per role) is searched by role_key; sys_role_menu and sys_menu are read by their primary keys.
  roleGrantsOf: `${ROLE_GRANTS} AND r.role_key = :role`,
  subjectGrants: `SELECT '${SUPER}' AS code FROM sys_user
  WHERE user_name = :subject AND user_id = 1 AND status = '0' AND del_flag = '0'`,
  version: VERSION_QUERY,
};

/**
 * RuoYi-Vue compares a permission string exactly (its only wildcard is `*:*:*`), so any other `*`, and a `{subject}`
 * part, is a literal there: read as permgate's wildcard or holder placeholder it would grant what RuoYi never did.
 * Such a code maps to nothing and is reported.
 * @example codes('system:user:list') → ['system:user:list']
 * @example codes('biz:order:audit, biz:order:approve') → ['biz:order:audit', 'biz:order:approve']
 * @example codes('*:*:*') → ['*']; codes('') → []; codes('system:user:*') → []; codes('user:edit:{subject}') → []
 */
function codes(raw: string): readonly string[] {
  return raw
    .split(',')
    .map((code) => code.trim())
    .filter((code) => code !== '')
    .flatMap((code) => (code === SUPER ? ['*'] : literalCodes(code)));
}

/** PostgreSQL: each trigger names the subjects and roles its row touches; the announce function does the rest. */
function postgresTriggers(channel: string): string {
  const user = (id: string): string => `(SELECT user_name FROM sys_user WHERE user_id = ${id})`;
  const role = (id: string): string => `(SELECT role_key FROM sys_role WHERE role_id = ${id})`;
  // A role's status or key changes which subjects hold it (subjectRoles filters on it): its holders are named too.
  const holders = (id: string): string =>
    `(SELECT array_agg(u.user_name) FROM sys_user_role ur JOIN sys_user u ON u.user_id = ur.user_id WHERE ur.role_id = ${id})`;
  const menuRoles = (id: string): string =>
    `(SELECT array_agg(r.role_key) FROM sys_role_menu rm JOIN sys_role r ON r.role_id = rm.role_id WHERE rm.menu_id = ${id})`;
  const fn = (table: string, body: string): string => `CREATE OR REPLACE FUNCTION permgate_${table}_changed() RETURNS TRIGGER LANGUAGE plpgsql AS $permgate$
BEGIN
${body}
  RETURN NULL;
END
$permgate$;
`;
  const both = (expr: (row: 'OLD' | 'NEW') => string): string =>
    `  IF TG_OP <> 'INSERT' THEN PERFORM permgate_rbac_announce(${expr('OLD')}); END IF;
  IF TG_OP <> 'DELETE' THEN PERFORM permgate_rbac_announce(${expr('NEW')}); END IF;`;
  const triggers = (table: string, columns: string): string => `DROP TRIGGER IF EXISTS permgate_${table}_write ON ${table};
CREATE TRIGGER permgate_${table}_write AFTER INSERT OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION permgate_${table}_changed();
DROP TRIGGER IF EXISTS permgate_${table}_update ON ${table};
CREATE TRIGGER permgate_${table}_update AFTER UPDATE ON ${table} FOR EACH ROW
  WHEN (${columns.split(', ').map((c) => `OLD.${c} IS DISTINCT FROM NEW.${c}`).join(' OR ')})
  EXECUTE FUNCTION permgate_${table}_changed();
`;
  return [
    // Logins write sys_user (login_ip, login_date): only the columns that decide permissions fire the triggers.
    fn('sys_user', both((row) => `ARRAY[${row}.user_name::TEXT], NULL`)),
    triggers('sys_user', 'user_id, user_name, status, del_flag'),
    fn('sys_role', both((row) => `${holders(`${row}.role_id`)}, ARRAY[${row}.role_key::TEXT]`)),
    triggers('sys_role', 'role_id, role_key, status, del_flag'),
    fn('sys_menu', both((row) => `NULL, ${menuRoles(`${row}.menu_id`)}`)),
    triggers('sys_menu', 'menu_id, perms, status'),
    fn('sys_user_role', both((row) => `ARRAY[${user(`${row}.user_id`)}::TEXT], NULL`)),
    triggers('sys_user_role', 'user_id, role_id'),
    fn('sys_role_menu', both((row) => `NULL, ARRAY[${role(`${row}.role_id`)}::TEXT]`)),
    triggers('sys_role_menu', 'role_id, menu_id'),
  ].join('\n');
}

/** MySQL/MariaDB have no NOTIFY: each write bumps the version, which permgate polls. One trigger per table and event. */
function mysqlTriggers(): string {
  const tables = ['sys_user', 'sys_role', 'sys_menu', 'sys_user_role', 'sys_role_menu'];
  return tables
    .flatMap((table) =>
      (['INSERT', 'UPDATE', 'DELETE'] as const).map(
        (event) => `DROP TRIGGER IF EXISTS permgate_${table}_${event.toLowerCase()};
CREATE TRIGGER permgate_${table}_${event.toLowerCase()} AFTER ${event} ON ${table} FOR EACH ROW
  UPDATE permgate_rbac_version SET version = version + 1 WHERE id = 1;
`,
      ),
    )
    .join('');
}

export const ruoyi: SqlPreset = {
  name: 'ruoyi',
  queries: (_dialect: SqlDialect) => QUERIES,
  codes,
  role: (raw) => raw,
  triggers(dialect, channel) {
    const header = `-- permgate: change announcements for RuoYi's RBAC tables (${dialect === 'postgres' ? `NOTIFY on channel ${channel}` : 'version row for polling'}).\n`;
    return header + versionTableSql(dialect, channel) + '\n' + (dialect === 'postgres' ? postgresTriggers(channel) : mysqlTriggers());
  },
};
