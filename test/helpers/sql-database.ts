// A throwaway database on the machine's shared PostgreSQL (127.0.0.1:5432, user postgres) or MariaDB (127.0.0.1:3306,
// root): created with a unique name, loaded from SQL text, dropped at the end. It never reads or writes any other
// database. Register `drop` with t.teardown so it also goes when the test fails.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { SqlDialect } from '../../src/rbac/sql/sql-preset.js';

export interface SqlDatabase {
  /** The URL a gateway connects with (the database's own name in it). */
  readonly url: string;
  readonly name: string;
  /** Runs SQL as the owner (read-write; several statements allowed); the rows of the last statement. */
  query(sql: string): Promise<Record<string, unknown>[]>;
  /** Closes this helper's connection and drops the database (ending any session still on it). */
  drop(): Promise<void>;
}

/** A file of test/fixtures/sql/: legacy RBAC schemas with data (RuoYi on PostgreSQL; see the .md beside each). */
export function sqlFixture(name: string): string {
  return readFileSync(new URL(`../fixtures/sql/${name}`, import.meta.url), 'utf8');
}

export const PG_SERVER = { host: '127.0.0.1', port: 5432, user: 'postgres' } as const;
export const MARIADB_SERVER = { host: '127.0.0.1', port: 3306, user: 'root' } as const;

export async function createDatabase(dialect: SqlDialect, sqlText: string): Promise<SqlDatabase> {
  const name = `permgate_t_${randomBytes(6).toString('hex')}`;
  return dialect === 'postgres' ? createPg(name, sqlText) : createMariadb(name, sqlText);
}

async function createPg(name: string, sqlText: string): Promise<SqlDatabase> {
  const admin = new pg.Client({ ...PG_SERVER, database: 'postgres' });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const owner = new pg.Client({ ...PG_SERVER, database: name });
  owner.on('error', () => {});
  const drop = async (): Promise<void> => {
    await owner.end().catch(() => {});
    const again = new pg.Client({ ...PG_SERVER, database: 'postgres' });
    await again.connect();
    try {
      await again.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await again.end();
    }
  };
  try {
    await owner.connect();
    if (sqlText !== '') await owner.query(sqlText);
  } catch (err) {
    await drop();
    throw err;
  }
  return {
    url: `postgres://${PG_SERVER.user}@${PG_SERVER.host}:${PG_SERVER.port}/${name}`,
    name,
    async query(sql) {
      const result = await owner.query(sql);
      const last = Array.isArray(result) ? result[result.length - 1] : result;
      return (last?.rows ?? []) as Record<string, unknown>[];
    },
    drop,
  };
}

async function createMariadb(name: string, sqlText: string): Promise<SqlDatabase> {
  const admin = await mysql.createConnection({ ...MARIADB_SERVER, multipleStatements: true });
  await admin.query(`CREATE DATABASE ${name}`);
  const drop = async (): Promise<void> => {
    await admin.query(`DROP DATABASE IF EXISTS ${name}`).catch(() => {});
    await admin.end().catch(() => {});
  };
  try {
    await admin.query(`USE ${name}`);
    if (sqlText !== '') await admin.query(sqlText);
  } catch (err) {
    await drop();
    throw err;
  }
  return {
    url: `mysql://${MARIADB_SERVER.user}@${MARIADB_SERVER.host}:${MARIADB_SERVER.port}/${name}`,
    name,
    async query(sql) {
      const [result] = await admin.query(sql);
      if (!Array.isArray(result)) return [];
      const last = result.length > 0 && Array.isArray(result[result.length - 1]) ? result[result.length - 1] : result;
      return (Array.isArray(last) ? last : []) as Record<string, unknown>[];
    },
    drop,
  };
}
