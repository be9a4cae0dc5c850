// The seam between the SQL permission source and a legacy schema's conventions: which queries read it, how its
// permission strings and role names become permgate's, and which SQL announces its changes. A preset is data and
// small pure functions; the source (sql-rbac-source.ts) runs the queries and builds the policy from the rows.

/** The SQL dialects the source speaks: PostgreSQL (pg) and MySQL/MariaDB (mysql2). */
export type SqlDialect = 'postgres' | 'mysql';

/**
 * The queries the source runs. Parameters are named (`:subject`) and bound by the driver, never spliced. The columns
 * each returns are fixed (extra columns are an error, so a mistyped alias is caught at start):
 * - subjectRoles (`:subject`): `role` [, `tenant`] [, `expires_at`] — the roles bound to the subject;
 * - roleGrants: `role`, `code` [, `effect`: 'grant' | 'deny'] — every role's grants, read as one set;
 * - roleGrantsOf (`:role`): roleGrants's columns — the roleGrants rows whose `role` is `:role`, the role name as
 *   roleGrants returns it (before the preset's role()); run per role a notification names, instead of roleGrants;
 * - roleParents: `role`, `parent` — `role` inherits `parent`;
 * - roleParentsOf (`:role`): roleParents's columns — the roleParents rows whose `role` is `:role`;
 * - subjectGrants (`:subject`): `code` [, `effect`] [, `tenant`] [, `expires_at`] — direct grants and denies;
 * - version: one row, one column `version` — changes whenever any of the above would read differently.
 */
export interface SqlQueries {
  readonly subjectRoles: string;
  readonly roleGrants: string;
  readonly roleGrantsOf?: string | undefined;
  readonly roleParents?: string | undefined;
  readonly roleParentsOf?: string | undefined;
  readonly subjectGrants?: string | undefined;
  readonly version?: string | undefined;
}

export type SqlPresetName = 'ruoyi' | 'spring-security' | 'shiro-jdbc' | 'casbin';

export interface SqlPreset {
  readonly name: SqlPresetName;
  /** The preset's queries for this dialect; an operator's `queries` override them one by one. */
  queries(dialect: SqlDialect): SqlQueries;
  /**
   * One permission string as the schema stores it → permgate permission patterns (permission-pattern.ts). A string
   * that means nothing here returns [] and is reported, never guessed at. @example ruoyi: 'a:b,c:d' → ['a:b', 'c:d']
   */
  codes(raw: string): readonly string[];
  /** One role name as the schema stores it → permgate's role name. @example spring-security: 'ROLE_ADMIN' → 'ADMIN' */
  role(raw: string): string;
  /**
   * The SQL an operator installs (printed by `permgate sql triggers --preset NAME`): triggers that bump a version row
   * and, on PostgreSQL, `pg_notify(channel, payload)` with the subjects and roles a change touches.
   */
  triggers(dialect: SqlDialect, channel: string): string;
}
