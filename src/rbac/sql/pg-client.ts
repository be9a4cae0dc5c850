// The SqlClient on PostgreSQL (the `pg` driver, imported only when the source is configured with a postgres:// URL):
// a bounded pool whose sessions are read-only with a server-side statement timeout, plus a client-side one that also
// covers a database that stopped answering; LISTEN runs on a connection of its own.
import pg from 'pg';
import { positionalCache } from './named-params.js';
import { bindValues, type SqlClient, type SqlConnectOptions, type SqlListener, type SqlResult } from './sql-client.js';

/** The client gives up this long after the server should have cancelled the statement. */
const CLIENT_GRACE = 1_000;

export function openPgClient(options: SqlConnectOptions): SqlClient {
  const session = {
    connectionString: options.url,
    connectionTimeoutMillis: options.connectTimeout,
    statement_timeout: options.statementTimeout,
    query_timeout: options.statementTimeout + CLIENT_GRACE,
    // Every transaction of these sessions is read-only: a query that would write fails at the server.
    options: '-c default_transaction_read_only=on',
    keepAlive: true,
    application_name: 'permgate',
  };
  const pool = new pg.Pool({ ...session, max: options.pool, idleTimeoutMillis: 30_000 });
  // An idle connection that breaks is dropped by the pool; the next query opens another (or fails, and says so).
  pool.on('error', () => {});
  const positional = positionalCache('postgres');
  return {
    dialect: 'postgres',
    async query(sql, params): Promise<SqlResult> {
      const { text, names } = positional(sql);
      const result = await pool.query({ text, values: bindValues(names, params) });
      return { columns: result.fields.map((field) => field.name), rows: result.rows as Record<string, unknown>[] };
    },
    async listen(channel, onNotice, onLost): Promise<SqlListener> {
      const client = new pg.Client(session);
      let lost = false;
      const lose = (err: Error): void => {
        if (lost) return;
        lost = true;
        onLost(err);
        void client.end().catch(() => {});
      };
      client.on('error', lose);
      client.on('end', () => lose(new Error('the LISTEN connection ended')));
      client.on('notification', (message) => {
        if (message.channel === channel) onNotice(message.payload ?? '');
      });
      try {
        await client.connect();
        // The channel is checked as a plain identifier by the config; quoting keeps its case as written.
        await client.query(`LISTEN "${channel}"`);
      } catch (err) {
        lost = true;
        await client.end().catch(() => {});
        throw err;
      }
      return {
        async close() {
          lost = true;
          await client.end().catch(() => {});
        },
      };
    },
    async close() {
      await pool.end();
    },
  };
}
