// A database of the test's own on the machine's PostgreSQL (127.0.0.1:5432, trust) or MariaDB (127.0.0.1:3306, root),
// with a unique name, loaded from SQL text and dropped by drop(). It never reads or writes any other database.
// The same API as the sql-core branch's test/helpers/sql-database.ts, plus named parameters and result columns.
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { SqlDialect } from '../../src/rbac/sql/sql-preset.js';

export type Row = Record<string, unknown>;

export interface TestDatabase {
  readonly url: string;
  readonly name: string;
  /** Runs SQL with `:name` parameters bound by the driver (never spliced); returns the rows. */
  query(sql: string, params?: Readonly<Record<string, unknown>>): Promise<Row[]>;
  /** As query(), with the result's column names in order (known even when no row comes back). */
  queryWithColumns(sql: string, params?: Readonly<Record<string, unknown>>): Promise<{ rows: Row[]; columns: string[] }>;
  drop(): Promise<void>;
}

const POSTGRES = 'postgres://postgres@127.0.0.1:5432';
const MYSQL = 'mysql://root@127.0.0.1:3306';

/**
 * `:name` → the dialect's positional placeholder, outside string literals and never in a PostgreSQL `::` cast.
 * @example positional('postgres', "SELECT ':' || x WHERE a = :s AND b = :s", { s: 1 }) → { text: "… a = $1 AND b = $1", values: [1] }
 */
export function positional(dialect: SqlDialect, sql: string, params: Readonly<Record<string, unknown>>): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const index = new Map<string, number>();
  const text = sql.replace(/'(?:[^']|'')*'|::|:([A-Za-z_][A-Za-z0-9_]*)/g, (match, name: string | undefined) => {
    if (name === undefined) return match;
    if (!Object.hasOwn(params, name)) throw new Error(`no value for :${name}`);
    if (dialect === 'mysql') {
      values.push(params[name]);
      return '?';
    }
    let at = index.get(name);
    if (at === undefined) {
      values.push(params[name]);
      index.set(name, (at = values.length));
    }
    return `$${at}`;
  });
  return { text, values };
}

export async function createDatabase(dialect: SqlDialect, sqlText: string): Promise<TestDatabase> {
  const name = `permgate_t_${randomBytes(6).toString('hex')}`;
  return dialect === 'postgres' ? createPostgres(name, sqlText) : createMysql(name, sqlText);
}

async function createPostgres(name: string, sqlText: string): Promise<TestDatabase> {
  const admin = new pg.Client({ connectionString: `${POSTGRES}/postgres` });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = `${POSTGRES}/${name}`;
  const client = new pg.Client({ connectionString: url });
  const drop = async () => {
    await client.end().catch(() => undefined);
    const again = new pg.Client({ connectionString: `${POSTGRES}/postgres` });
    await again.connect();
    try {
      await again.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await again.end();
    }
  };
  try {
    await client.connect();
    if (sqlText.trim() !== '') await client.query(sqlText);
  } catch (err) {
    await drop();
    throw err;
  }
  const queryWithColumns = async (sql: string, params: Readonly<Record<string, unknown>> = {}) => {
    const { text, values } = positional('postgres', sql, params);
    // Several statements in one text (a fixture, printed triggers) return one result each: the last one counts.
    const results = (await client.query(text, values)) as pg.QueryResult | pg.QueryResult[];
    const result = Array.isArray(results) ? results.at(-1)! : results;
    return { rows: result.rows as Row[], columns: result.fields.map((f) => f.name) };
  };
  return { url, name, queryWithColumns, query: async (sql, params) => (await queryWithColumns(sql, params)).rows, drop };
}

async function createMysql(name: string, sqlText: string): Promise<TestDatabase> {
  const admin = await mysql.createConnection({ uri: MYSQL });
  try {
    await admin.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4`);
  } finally {
    await admin.end();
  }
  const url = `${MYSQL}/${name}`;
  const connection = await mysql.createConnection({ uri: url, multipleStatements: true });
  const drop = async () => {
    await connection.end().catch(() => undefined);
    const again = await mysql.createConnection({ uri: MYSQL });
    try {
      await again.query(`DROP DATABASE IF EXISTS ${name}`);
    } finally {
      await again.end();
    }
  };
  try {
    if (sqlText.trim() !== '') await connection.query(sqlText);
  } catch (err) {
    await drop();
    throw err;
  }
  const queryWithColumns = async (sql: string, params: Readonly<Record<string, unknown>> = {}) => {
    const { text, values } = positional('mysql', sql, params);
    const [rows, fields] = await connection.query(text, values);
    // Several statements in one text return one field list each (or none): columns are read for one statement only.
    const list = ((fields ?? []) as unknown[]).filter((f): f is { name: string } => f !== undefined && !Array.isArray(f));
    return { rows: rows as Row[], columns: list.map((f) => f.name) };
  };
  return { url, name, queryWithColumns, query: async (sql, params) => (await queryWithColumns(sql, params)).rows, drop };
}
