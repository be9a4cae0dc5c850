// The small seam between the SQL source and a database driver: run one read-only query with named parameters, get its
// column names and rows; on PostgreSQL, listen on a channel. One implementation per driver (pg-client.ts,
// mysql-client.ts), each loaded by dynamic import only when `rbac.source.sql` names its kind of database.
import type { SqlDialect } from './sql-preset.js';

export interface SqlResult {
  /** The result's column names, as the database reports them (also when there are no rows). */
  readonly columns: readonly string[];
  readonly rows: readonly Readonly<Record<string, unknown>>[];
}

/** A LISTEN on its own connection. `onNotice` gets each payload; `onLost` once, when the connection is gone. */
export interface SqlListener {
  close(): Promise<void>;
}

export interface SqlClient {
  readonly dialect: SqlDialect;
  /** Runs `sql` with its `:name` parameters bound from `params` (a name without a value is an error). */
  query(sql: string, params?: Readonly<Record<string, string>>): Promise<SqlResult>;
  /** PostgreSQL only: LISTEN on `channel` over a dedicated connection. */
  listen?(channel: string, onNotice: (payload: string) => void, onLost: (err: Error) => void): Promise<SqlListener>;
  close(): Promise<void>;
}

/** How a client connects: `rbac.source.sql` minus the queries. */
export interface SqlConnectOptions {
  readonly url: string;
  /** Connections in the pool (the LISTEN connection is one more). */
  readonly pool: number;
  /** A query running longer is cancelled by the server, and given up on by the client a little later. */
  readonly statementTimeout: number;
  readonly connectTimeout: number;
}

/** The dialect a URL speaks, or undefined for a scheme the source does not know. */
export function dialectOf(url: string): SqlDialect | undefined {
  const scheme = /^([a-z0-9+]+):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') return 'postgres';
  if (scheme === 'mysql' || scheme === 'mariadb') return 'mysql';
  return undefined;
}

/** Values for the named parameters, in placeholder order; a missing one is an error naming it. */
export function bindValues(names: readonly string[], params: Readonly<Record<string, string>> | undefined): string[] {
  return names.map((name) => {
    const value = params !== undefined && Object.hasOwn(params, name) ? params[name] : undefined;
    if (value === undefined) throw new Error(`the query names :${name}, which the source does not supply (only :subject)`);
    return value;
  });
}

/** The driver package each dialect needs (an optional dependency). */
export const DRIVER: Readonly<Record<SqlDialect, string>> = { postgres: 'pg', mysql: 'mysql2' };

/**
 * Opens a pool for `options.url`, importing its driver now. Throws `SqlDriverMissing` when the driver package is not
 * installed (the config names a database permgate cannot talk to without it).
 */
export async function openSqlClient(options: SqlConnectOptions): Promise<SqlClient> {
  const dialect = dialectOf(options.url);
  if (dialect === undefined) throw new Error('rbac.source.sql.url must start with postgres://, postgresql://, mysql:// or mariadb://');
  try {
    if (dialect === 'postgres') return (await import('./pg-client.js')).openPgClient(options);
    return (await import('./mysql-client.js')).openMysqlClient(options);
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes(`'${DRIVER[dialect]}'`)) {
      throw new SqlDriverMissing(DRIVER[dialect]);
    }
    throw err;
  }
}

export class SqlDriverMissing extends Error {
  constructor(readonly driver: string) {
    super(`the ${driver} driver is not installed`);
    this.name = 'SqlDriverMissing';
  }
}
