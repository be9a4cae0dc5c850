// The version row every preset's triggers bump (`permgate_rbac_version`), shared by the presets' trigger scripts: one
// table, one row, one number, read by the version query that catches a missed notification and drives polling.
import type { SqlDialect } from './sql-preset.js';

export const VERSION_TABLE = 'permgate_rbac_version';

/** The preset version query: one row, one column `version`. */
export const VERSION_QUERY = `SELECT version FROM ${VERSION_TABLE} WHERE id = 1`;

/** A channel name as it may be written into trigger SQL: a plain identifier (the config checks the same). */
export const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;

/** Creates the version row (idempotent), and on PostgreSQL the function triggers call to bump it and announce. */
export function versionTableSql(dialect: SqlDialect, channel: string): string {
  if (!CHANNEL.test(channel)) throw new Error(`"${channel}" is not a channel name (lower-case letters, digits and _)`);
  if (dialect === 'mysql') {
    return `CREATE TABLE IF NOT EXISTS ${VERSION_TABLE} (id SMALLINT PRIMARY KEY, version BIGINT NOT NULL);
INSERT IGNORE INTO ${VERSION_TABLE} (id, version) VALUES (1, 0);
`;
  }
  return `CREATE TABLE IF NOT EXISTS ${VERSION_TABLE} (id SMALLINT PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL);
INSERT INTO ${VERSION_TABLE} (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;

-- Bumps the version and announces what changed on the channel permgate listens on. A payload too long for NOTIFY
-- (8000 bytes) is replaced by one that asks for a resync, so no change is ever dropped silently.
CREATE OR REPLACE FUNCTION permgate_rbac_announce(subjects TEXT[], roles TEXT[]) RETURNS VOID LANGUAGE plpgsql AS $permgate$
DECLARE
  next BIGINT;
  payload TEXT;
BEGIN
  UPDATE ${VERSION_TABLE} SET version = version + 1 WHERE id = 1 RETURNING version INTO next;
  payload := json_build_object(
    'version', next,
    'subjects', COALESCE((SELECT array_agg(DISTINCT s) FROM unnest(subjects) AS s WHERE s IS NOT NULL), '{}'),
    'roles', COALESCE((SELECT array_agg(DISTINCT r) FROM unnest(roles) AS r WHERE r IS NOT NULL), '{}'))::TEXT;
  IF octet_length(payload) > 7900 THEN
    payload := json_build_object('version', next, 'resync', true)::TEXT;
  END IF;
  PERFORM pg_notify('${channel}', payload);
END
$permgate$;
`;
}
