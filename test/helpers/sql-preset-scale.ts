// Each preset's tables filled at a chosen scale (roles × permissions per role, users × roles per user), generated in
// SQL on PostgreSQL (generate_series) or MariaDB (its sequence tables), with the indexes docs/sql-presets.md asks for:
// what the plans of the per-role queries are checked on, and what bench/rbac-sql.ts times a role change on.
import type { SqlDialect } from '../../src/rbac/sql/sql-preset.js';

export interface Scale {
  readonly roles: number;
  readonly perRole: number;
  readonly users: number;
  readonly perUser: number;
}

/** The stored name of role r in each preset (what roleGrants's `role` returns, and a notification names). */
export const ROLE_NAME: Readonly<Record<'ruoyi' | 'spring-security' | 'shiro-jdbc' | 'casbin', (r: number) => string>> = {
  ruoyi: (r) => `role-${r}`,
  'spring-security': (r) => `group.team-${r}`,
  'shiro-jdbc': (r) => `role-${r}`,
  casbin: (r) => `role-${r}`,
};

/** Role r holds `mod<r % 50>:res<k>:read` for k < perRole; user u holds roles (u·7 + i·131) % roles for i < perUser. */
export function presetTables(preset: keyof typeof ROLE_NAME, dialect: SqlDialect, scale: Scale): string {
  const pg = dialect === 'postgres';
  const seq = (n: number, name: string): string => (pg ? `generate_series(0, ${n - 1}) AS ${name}(n)` : `seq_0_to_${n - 1} AS ${name}`);
  const n = (name: string): string => (pg ? `${name}.n` : `${name}.seq`);
  const text = (expr: string): string => (pg ? `(${expr})::text` : `${expr}`);
  const cat = (...parts: string[]): string => (pg ? parts.join(' || ') : `CONCAT(${parts.join(', ')})`);
  const code = cat("'mod'", text(`${n('r')} % 50`), "':res'", text(n('k')), "':read'");
  const userRole = `(${n('u')} * 7 + ${n('i')} * 131) % ${scale.roles}`;
  const roles = seq(scale.roles, 'r');
  const grants = `${seq(scale.roles, 'r')} CROSS JOIN ${seq(scale.perRole, 'k')}`;
  const bindings = `${seq(scale.users, 'u')} CROSS JOIN ${seq(scale.perUser, 'i')}`;
  const analyze = (tables: string[]) => (pg ? 'ANALYZE;' : `ANALYZE TABLE ${tables.join(', ')};`);
  switch (preset) {
    case 'shiro-jdbc':
      return `
CREATE TABLE users (username VARCHAR(255) PRIMARY KEY, password VARCHAR(255) NOT NULL, password_salt VARCHAR(255));
CREATE TABLE user_roles (username VARCHAR(255) NOT NULL, role_name VARCHAR(255) NOT NULL, PRIMARY KEY (username, role_name));
CREATE TABLE roles_permissions (role_name VARCHAR(255) NOT NULL, permission VARCHAR(255) NOT NULL, PRIMARY KEY (role_name, permission));
INSERT INTO users SELECT ${cat("'user-'", text(n('u')))}, 'x', NULL FROM ${seq(scale.users, 'u')};
INSERT INTO user_roles SELECT DISTINCT ${cat("'user-'", text(n('u')))}, ${cat("'role-'", text(userRole))} FROM ${bindings};
INSERT INTO roles_permissions SELECT ${cat("'role-'", text(n('r')))}, ${code} FROM ${grants};
${analyze(['users', 'user_roles', 'roles_permissions'])}`;
    case 'ruoyi': {
      // Menus: one per (module, k); role r holds the menus of module r % 50.
      const menus = `${seq(50, 'r')} CROSS JOIN ${seq(scale.perRole, 'k')}`;
      return `
CREATE TABLE sys_user (user_id BIGINT PRIMARY KEY, user_name VARCHAR(30) NOT NULL, status CHAR(1) DEFAULT '0', del_flag CHAR(1) DEFAULT '0');
CREATE TABLE sys_role (role_id BIGINT PRIMARY KEY, role_key VARCHAR(100) NOT NULL, status CHAR(1) NOT NULL, del_flag CHAR(1) DEFAULT '0');
CREATE TABLE sys_menu (menu_id BIGINT PRIMARY KEY, perms VARCHAR(100) DEFAULT NULL, status CHAR(1) DEFAULT '0');
CREATE TABLE sys_user_role (user_id BIGINT NOT NULL, role_id BIGINT NOT NULL, PRIMARY KEY (user_id, role_id));
CREATE TABLE sys_role_menu (role_id BIGINT NOT NULL, menu_id BIGINT NOT NULL, PRIMARY KEY (role_id, menu_id));
INSERT INTO sys_user SELECT ${n('u')} + 100, ${cat("'user-'", text(n('u')))}, '0', '0' FROM ${seq(scale.users, 'u')};
INSERT INTO sys_role SELECT ${n('r')} + 100, ${cat("'role-'", text(n('r')))}, '0', '0' FROM ${roles};
INSERT INTO sys_menu SELECT ${n('r')} * ${scale.perRole} + ${n('k')} + 10000, ${code}, '0' FROM ${menus};
INSERT INTO sys_user_role SELECT DISTINCT ${n('u')} + 100, ${userRole} + 100 FROM ${bindings};
INSERT INTO sys_role_menu SELECT ${n('r')} + 100, (${n('r')} % 50) * ${scale.perRole} + ${n('k')} + 10000 FROM ${grants};
${analyze(['sys_user', 'sys_role', 'sys_menu', 'sys_user_role', 'sys_role_menu'])}`;
    }
    case 'spring-security': {
      const groups = pg ? '"groups"' : '`groups`';
      // Each group also inherits a role (ROLE_R<r % 10>): the roleParents rows live in the same table as the grants.
      return `
CREATE TABLE users (username VARCHAR(50) NOT NULL PRIMARY KEY, password VARCHAR(500) NOT NULL, enabled BOOLEAN NOT NULL);
CREATE TABLE authorities (username VARCHAR(50) NOT NULL, authority VARCHAR(50) NOT NULL);
CREATE UNIQUE INDEX ix_auth_username ON authorities (username, authority);
CREATE TABLE ${groups} (id BIGINT NOT NULL PRIMARY KEY, group_name VARCHAR(50) NOT NULL);
CREATE TABLE group_authorities (group_id BIGINT NOT NULL, authority VARCHAR(50) NOT NULL);
CREATE INDEX group_authorities_group_id ON group_authorities (group_id);
CREATE TABLE group_members (id BIGINT NOT NULL PRIMARY KEY, username VARCHAR(50) NOT NULL, group_id BIGINT NOT NULL);
INSERT INTO users SELECT ${cat("'user-'", text(n('u')))}, 'x', TRUE FROM ${seq(scale.users, 'u')};
INSERT INTO ${groups} SELECT ${n('r')}, ${cat("'team-'", text(n('r')))} FROM ${roles};
INSERT INTO group_authorities SELECT ${n('r')}, ${code} FROM ${grants};
INSERT INTO group_authorities SELECT ${n('r')}, ${cat("'ROLE_R'", text(`${n('r')} % 10`))} FROM ${roles};
INSERT INTO group_members SELECT ${n('u')} * ${scale.perUser} + ${n('i')}, ${cat("'user-'", text(n('u')))}, ${userRole} FROM ${bindings};
${analyze(['users', 'authorities', groups, 'group_authorities', 'group_members'])}`;
    }
    case 'casbin': {
      const blank = pg ? 'NULL' : "''";
      const columns = pg
        ? 'id SERIAL PRIMARY KEY, ptype VARCHAR(100) NOT NULL, v0 VARCHAR(100), v1 VARCHAR(100), v2 VARCHAR(100), v3 VARCHAR(100), v4 VARCHAR(100), v5 VARCHAR(100)'
        : "id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, ptype VARCHAR(100) NOT NULL DEFAULT '', v0 VARCHAR(100) NOT NULL DEFAULT '', v1 VARCHAR(100) NOT NULL DEFAULT '', v2 VARCHAR(100) NOT NULL DEFAULT '', v3 VARCHAR(100) NOT NULL DEFAULT '', v4 VARCHAR(100) NOT NULL DEFAULT '', v5 VARCHAR(100) NOT NULL DEFAULT ''";
      const insert = 'INSERT INTO casbin_rule (ptype, v0, v1, v2, v3, v4, v5)';
      // p rows per role (obj mod<r % 50>, act res<k>:read is not a literal act: the code is obj:act = mod..:res..),
      // users bound with g rows, and every tenth role also held in a domain (g with v2) with domain p rows.
      return `
CREATE TABLE casbin_rule (${columns})${pg ? '' : ' CHARACTER SET utf8mb4'};
CREATE INDEX casbin_rule_ptype_v0 ON casbin_rule (ptype, v0);
CREATE INDEX casbin_rule_ptype_v1 ON casbin_rule (ptype, v1);
${insert} SELECT 'p', ${cat("'role-'", text(n('r')))}, ${cat("'mod'", text(`${n('r')} % 50`))}, ${cat("'res'", text(n('k')))}, ${blank}, ${blank}, ${blank} FROM ${grants};
${insert} SELECT 'g', ${cat("'user-'", text(n('u')), "'@example.com'")}, ${cat("'role-'", text(userRole))}, ${blank}, ${blank}, ${blank}, ${blank} FROM ${bindings};
${insert} SELECT 'g', ${cat("'user-'", text(n('u')), "'@example.com'")}, ${cat("'role-'", text(`${n('u')} % ${scale.roles}`))}, ${cat("'d'", text(`${n('u')} % 100`))}, ${blank}, ${blank}, ${blank} FROM ${seq(Math.ceil(scale.users / 10), 'u')};
${insert} SELECT 'p', ${cat("'role-'", text(n('r')))}, ${cat("'d'", text(`${n('r')} % 100`))}, 'project', ${cat("'act'", text(n('k')))}, ${blank}, ${blank} FROM ${seq(scale.roles, 'r')} CROSS JOIN ${seq(10, 'k')};
${analyze(['casbin_rule'])}`;
    }
  }
}
