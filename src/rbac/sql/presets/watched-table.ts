// What a preset tells the shared trigger and version builders about one table it reads: the columns whose values its
// queries depend on, and (for PostgreSQL notifications) which subjects and roles a changed row touches.
import type { SqlDialect } from '../sql-preset.js';

export interface WatchedTable {
  /** Unquoted table name, in the connection's default schema. */
  readonly table: string;
  /** The columns the preset's queries read: what the version fallback hashes (never a password column). */
  readonly columns: readonly string[];
  /**
   * PostgreSQL expressions over one row (`OLD` or `NEW` inside a trigger) naming what a change of that row touches,
   * in permgate's names (after the preset's role()). An expression may be NULL when it does not apply to the row.
   */
  readonly touches: (row: 'OLD' | 'NEW') => { readonly subjects: readonly string[]; readonly roles: readonly string[] };
}

/** The table the printed triggers create and bump; the version queries read it when it exists (PostgreSQL). */
export const VERSION_TABLE = 'permgate_rbac_version';

/** An identifier quoted for the dialect. Only preset-owned names reach here; a quote inside one is refused. */
export function quoteIdentifier(dialect: SqlDialect, name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`"${name}" is not a plain SQL identifier`);
  return dialect === 'postgres' ? `"${name}"` : `\`${name}\``;
}
