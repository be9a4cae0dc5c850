// The SqlClient on MySQL and MariaDB (the `mysql2` driver, imported only when the source is configured with a
// mysql:// or mariadb:// URL): a bounded pool of read-only sessions with a server-side statement timeout (MariaDB's
// max_statement_time, MySQL's max_execution_time) and a client-side one; statements are prepared, so the subject is
// bound by the server. MySQL has no LISTEN: changes are polled.
import mysql from 'mysql2/promise';
import { positionalCache } from './named-params.js';
import { bindValues, type SqlClient, type SqlConnectOptions, type SqlResult } from './sql-client.js';

const CLIENT_GRACE = 1_000;

export function openMysqlClient(options: SqlConnectOptions): SqlClient {
  const url = new URL(options.url.replace(/^mariadb:/i, 'mysql:'));
  const pool = mysql.createPool({
    host: url.hostname,
    port: url.port === '' ? 3306 : Number(url.port),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.slice(1)),
    connectionLimit: options.pool,
    connectTimeout: options.connectTimeout,
    waitForConnections: true,
    enableKeepAlive: true,
    supportBigNumbers: true,
    dateStrings: false,
  });
  // Each new session is made read-only and given its statement timeout before any query of ours runs on it (the
  // connection runs its commands in order). MariaDB counts the timeout in seconds; MySQL names it max_execution_time.
  const seconds = (options.statementTimeout / 1000).toFixed(3);
  pool.pool.on('connection', (connection) => {
    connection.query('SET SESSION TRANSACTION READ ONLY', () => {});
    connection.query(`SET SESSION max_statement_time = ${seconds}`, (err) => {
      if (err) connection.query(`SET SESSION max_execution_time = ${Math.ceil(options.statementTimeout)}`, () => {});
    });
  });
  const positional = positionalCache('mysql');
  return {
    dialect: 'mysql',
    async query(sql, params): Promise<SqlResult> {
      const { text, names } = positional(sql);
      const [rows, fields] = await pool.execute({ sql: text, timeout: options.statementTimeout + CLIENT_GRACE }, bindValues(names, params));
      return { columns: (fields ?? []).map((field) => field.name), rows: rows as Record<string, unknown>[] };
    },
    async close() {
      await pool.end();
    },
  };
}
