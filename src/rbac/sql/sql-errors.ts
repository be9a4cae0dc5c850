// Which driver errors mean "the query is wrong" (a config error at start) rather than "the database cannot answer now"
// (the source is not current and keeps retrying). Both drivers report the server's SQLSTATE: pg as `code` on an error
// with a `severity`, mysql2 as `sqlState`. Connection, resource, timeout and shutdown classes are outages.

/** SQLSTATE classes of a query that cannot work as written: syntax and access rules, data, cardinality, features, transaction state (a write in a read-only session). */
const QUERY_CLASSES = new Set(['42', '22', '21', '0A', '25', '2F', '3F', '3D', '26', '34', '44']);

export function sqlState(err: unknown): string | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const e = err as { code?: unknown; severity?: unknown; sqlState?: unknown };
  if (typeof e.sqlState === 'string' && e.sqlState.length === 5) return e.sqlState;
  if (typeof e.code === 'string' && e.severity !== undefined && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
  return undefined;
}

/** True when the database refused the query itself (it will fail again the same way). */
export function isQueryError(err: unknown): boolean {
  const state = sqlState(err);
  return state !== undefined && QUERY_CLASSES.has(state.slice(0, 2));
}

/** A driver error's message, cut short; never the connection URL (the drivers do not put it in their messages). */
export function errorText(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const state = sqlState(err);
  const text = message.length > 300 ? `${message.slice(0, 300)}…` : message;
  return state === undefined ? text : `${text} (SQLSTATE ${state})`;
}
