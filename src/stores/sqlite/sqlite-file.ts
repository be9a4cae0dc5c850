// What the SQLite-backed parts (audit trail, RBAC store, revocation list) need of the open file: the connection,
// guarded writes, and work to finish before it closes. SqliteStore provides it; the parts depend on this alone, so
// the store can make them without the two files importing each other.
import type { Database as Connection } from 'better-sqlite3';

export interface SqliteFile {
  readonly db: Connection;
  readonly path: string;
  /** Runs `work` (one synchronous write); a file that refuses it is PG_STORE_FILE_UNUSABLE, and nothing was written. */
  write<T>(work: () => T): T;
  /** Work that must reach the file before it closes. */
  beforeClose(work: () => void): void;
}
