// The SQL a preset's triggers(dialect, channel) prints: a one-row counter table and triggers on every watched table
// that bump it, so a poll of the counter sees every change (an UPDATE that keeps counts included). On PostgreSQL a
// row trigger also announces, with pg_notify, which subjects and roles the row touched, as JSON
// `{"subjects": [...], "roles": [...]}`; a change it cannot narrow (TRUNCATE, a payload too big for a notification)
// announces `{"all": true}`. Re-running the SQL replaces what it installed.
import type { SqlDialect } from '../sql-preset.js';
import { COUNTER_QUERY } from './version-query.js';
import { VERSION_TABLE, quoteIdentifier, type WatchedTable } from './watched-table.js';

/** LISTEN takes an identifier: the channel is printed into SQL, so it is held to a plain one. */
const CHANNEL = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
/** pg_notify refuses payloads of 8000 bytes or more, and a failed notify would fail the application's own write. */
const MAX_PAYLOAD = 7900;

/**
 * @param prefix names the installed functions and triggers (`permgate_rbac_<prefix>_…`), one set per preset.
 * @throws Error when the channel is not a plain identifier.
 */
export function changeTriggers(dialect: SqlDialect, channel: string, prefix: string, tables: readonly WatchedTable[]): string {
  if (!CHANNEL.test(channel)) throw new Error(`the channel "${channel.slice(0, 70)}" is not a plain identifier (letters, digits, _)`);
  return dialect === 'postgres' ? postgresTriggers(channel, prefix, tables) : mysqlTriggers(prefix, tables);
}

function postgresTriggers(channel: string, prefix: string, tables: readonly WatchedTable[]): string {
  const bump = `permgate_rbac_${prefix}_bump`;
  const out = [
    `-- permgate: announce changes of the ${prefix} tables on channel ${channel} (PostgreSQL). Safe to run again.`,
    `CREATE TABLE IF NOT EXISTS ${VERSION_TABLE} (id smallint PRIMARY KEY CHECK (id = 1), version bigint NOT NULL);`,
    `INSERT INTO ${VERSION_TABLE} (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;`,
    `CREATE OR REPLACE FUNCTION ${bump}() RETURNS trigger LANGUAGE plpgsql AS $permgate$
BEGIN
  UPDATE ${VERSION_TABLE} SET version = version + 1 WHERE id = 1;
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM pg_notify('${channel}', '{"all": true}');
  END IF;
  RETURN NULL;
END
$permgate$;`,
  ];
  for (const table of tables) {
    const name = quoteIdentifier('postgres', table.table);
    const notify = `permgate_rbac_${prefix}_${table.table}`;
    const columns = table.columns.map((c) => quoteIdentifier('postgres', c)).join(', ');
    out.push(
      `CREATE OR REPLACE FUNCTION ${notify}() RETURNS trigger LANGUAGE plpgsql AS $permgate$
DECLARE
  subjects text[] := ARRAY[]::text[];
  roles text[] := ARRAY[]::text[];
  payload text;
BEGIN
  IF TG_OP <> 'INSERT' THEN
${collect(table, 'OLD')}
  END IF;
  IF TG_OP <> 'DELETE' THEN
${collect(table, 'NEW')}
  END IF;
  subjects := ARRAY(SELECT DISTINCT s FROM unnest(subjects) AS s WHERE s IS NOT NULL ORDER BY s);
  roles := ARRAY(SELECT DISTINCT r FROM unnest(roles) AS r WHERE r IS NOT NULL ORDER BY r);
  IF cardinality(subjects) + cardinality(roles) = 0 THEN
    RETURN NULL;
  END IF;
  payload := json_build_object('subjects', subjects, 'roles', roles)::text;
  IF octet_length(payload) > ${MAX_PAYLOAD} THEN
    payload := '{"all": true}';
  END IF;
  PERFORM pg_notify('${channel}', payload);
  RETURN NULL;
END
$permgate$;`,
      // UPDATE OF: a change to a column the preset does not read (a password) neither bumps nor announces.
      `DROP TRIGGER IF EXISTS permgate_rbac_bump ON ${name};`,
      `CREATE TRIGGER permgate_rbac_bump AFTER INSERT OR UPDATE OF ${columns} OR DELETE OR TRUNCATE ON ${name} FOR EACH STATEMENT EXECUTE PROCEDURE ${bump}();`,
      `DROP TRIGGER IF EXISTS permgate_rbac_notify ON ${name};`,
      `CREATE TRIGGER permgate_rbac_notify AFTER INSERT OR UPDATE OF ${columns} OR DELETE ON ${name} FOR EACH ROW EXECUTE PROCEDURE ${notify}();`,
    );
  }
  return out.join('\n') + '\n';
}

function collect(table: WatchedTable, row: 'OLD' | 'NEW'): string {
  const { subjects, roles } = table.touches(row);
  const array = (exprs: readonly string[]) => (exprs.length === 0 ? 'ARRAY[]::text[]' : `ARRAY[${exprs.join(', ')}]::text[]`);
  return `    subjects := subjects || ${array(subjects)};\n    roles := roles || ${array(roles)};`;
}

function mysqlTriggers(prefix: string, tables: readonly WatchedTable[]): string {
  const bump = `UPDATE ${VERSION_TABLE} SET version = version + 1 WHERE id = 1`;
  const out = [
    `-- permgate: count changes of the ${prefix} tables (MySQL/MariaDB: polled, no notifications). Safe to run again.`,
    `-- Then poll the counter instead of the checksum: changes: { poll: 5s, version: "${COUNTER_QUERY}" }`,
    `-- TRUNCATE fires no trigger in MySQL: after one, bump the counter by hand (${bump}).`,
    `CREATE TABLE IF NOT EXISTS ${VERSION_TABLE} (id smallint PRIMARY KEY, version bigint NOT NULL);`,
    `INSERT IGNORE INTO ${VERSION_TABLE} (id, version) VALUES (1, 0);`,
  ];
  for (const table of tables) {
    const name = quoteIdentifier('mysql', table.table);
    // An UPDATE that leaves every column the preset reads as it was (a password change) does not count. "As it was"
    // byte for byte: the column's collation calls `Viewer` and `viewer ` equal to `viewer`, but a preset that compares
    // exactly (Casbin's names, Spring's ROLE_ prefix) or permgate's role lookup reads them as different.
    const same = (c: string) => `CAST(OLD.${quoteIdentifier('mysql', c)} AS BINARY) <=> CAST(NEW.${quoteIdentifier('mysql', c)} AS BINARY)`;
    const changed = table.columns.map(same).join(' AND ');
    for (const [event, condition] of [['INSERT', ''], ['UPDATE', ` AND NOT (${changed})`], ['DELETE', '']] as const) {
      const trigger = `permgate_rbac_${prefix}_${table.table}_${event.toLowerCase()}`;
      out.push(`DROP TRIGGER IF EXISTS ${trigger};`, `CREATE TRIGGER ${trigger} AFTER ${event} ON ${name} FOR EACH ROW ${bump}${condition};`);
    }
  }
  return out.join('\n') + '\n';
}
