// The `version` query of a preset: the trigger-maintained counter when the printed triggers are installed (PostgreSQL
// looks for it itself), otherwise a checksum of every column the preset reads. The checksum catches any change that
// alters what the queries would return, an UPDATE that keeps row counts included, at the price of reading each
// watched table in full on every poll; the counter is one row. MySQL cannot refer to a table that may not exist in
// one statement, so there the operator who installed the triggers names the counter query in `changes.version`
// (COUNTER_QUERY below; the printed triggers say so).
import type { SqlDialect } from '../sql-preset.js';
import { VERSION_TABLE, quoteIdentifier, type WatchedTable } from './watched-table.js';

/** The version query to configure (`changes: { poll, version }`) once the printed triggers are installed. */
export const COUNTER_QUERY = `SELECT CAST(version AS CHAR) AS version FROM ${VERSION_TABLE} WHERE id = 1`;

function postgresChecksum(table: WatchedTable): string {
  const row = `ROW(${table.columns.map((c) => quoteIdentifier('postgres', c)).join(', ')})::text`;
  return `(SELECT ':' || count(*) || '.' || coalesce(sum(hashtext(${row})), 0) FROM ${quoteIdentifier('postgres', table.table)})`;
}

function mysqlChecksum(table: WatchedTable): string {
  // NULL and '' hash alike (CONCAT_WS would skip a NULL and shift the columns after it); the presets read them alike.
  const row = `CONCAT_WS(CHAR(31 USING utf8mb4), ${table.columns.map((c) => `COALESCE(${quoteIdentifier('mysql', c)}, '')`).join(', ')})`;
  return `(SELECT CONCAT(':', COUNT(*), '.', COALESCE(SUM(CRC32(${row})), 0)) FROM ${quoteIdentifier('mysql', table.table)})`;
}

/**
 * One row, one text column `version`: `counter:N` from the trigger table, or `rows:…` (a count and a hash sum per
 * watched table). Any change of the value means "read again".
 */
export function versionQuery(dialect: SqlDialect, tables: readonly WatchedTable[]): string {
  if (dialect === 'mysql') return `SELECT CONCAT('rows', ${tables.map(mysqlChecksum).join(', ')}) AS version`;
  // query_to_xml runs its text only when evaluated, and CASE evaluates one branch, so the statement is valid whether
  // or not the counter table exists, and the checksum scans run only when it does not.
  const counter = `(xpath('/row/version/text()', query_to_xml('SELECT version FROM ${VERSION_TABLE} WHERE id = 1', false, true, '')))[1]::text`;
  return `SELECT CASE WHEN to_regclass('${VERSION_TABLE}') IS NULL THEN 'rows' || ${tables.map(postgresChecksum).join(' || ')} ELSE 'counter:' || ${counter} END AS version`;
}
