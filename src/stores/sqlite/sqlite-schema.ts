// The embedded store's file layout, versioned with SQLite's own header fields: `application_id` says the file is
// permgate's (so a stray database is refused, never written into), `user_version` says which layout it holds.
import type { Database } from 'better-sqlite3';

/** 'pgat' */
export const APPLICATION_ID = 0x70676174;
export const SCHEMA_VERSION = 1;

const SCHEMA_V1 = `
CREATE TABLE revoked_tokens (jti TEXT PRIMARY KEY, exp INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX revoked_tokens_exp ON revoked_tokens (exp);
CREATE TABLE revoked_subjects (subject TEXT PRIMARY KEY, revoked_before INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE rbac_subjects (name TEXT PRIMARY KEY, record TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE rbac_roles (name TEXT PRIMARY KEY, definition TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
-- AUTOINCREMENT: ids are never reused after the ring drops old entries, so a cursor keeps meaning the same place.
CREATE TABLE audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  payload TEXT NOT NULL
);
-- One index per filter, each ending in id: a filtered page is an index range read newest first.
CREATE INDEX audit_kind ON audit (kind, id);
CREATE INDEX audit_actor ON audit (actor, id);
CREATE INDEX audit_action ON audit (action, id);
CREATE INDEX audit_target ON audit (target, id);
CREATE INDEX audit_at ON audit (at, id);
`;

/**
 * Creates the layout in a new file, or checks an existing one. Returns a reason when the file is not usable.
 * Runs inside the caller's exclusive lock.
 */
export function prepareSchema(db: Database): string | undefined {
  const applicationId = db.pragma('application_id', { simple: true }) as number;
  const version = db.pragma('user_version', { simple: true }) as number;
  const tables = (db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table'").get() as { n: number }).n;
  if (applicationId === 0 && version === 0 && tables === 0) {
    db.transaction(() => {
      db.exec(SCHEMA_V1);
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    }).immediate();
    return undefined;
  }
  if (applicationId !== APPLICATION_ID) return 'a SQLite file, but not a permgate state file';
  if (version > SCHEMA_VERSION) return `written by a newer permgate (layout ${version}; this one reads up to ${SCHEMA_VERSION})`;
  if (version < 1) return 'a permgate state file without a layout (interrupted creation?)';
  return undefined;
}
