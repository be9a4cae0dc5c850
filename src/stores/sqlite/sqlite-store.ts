// The embedded store: one SQLite file (better-sqlite3, synchronous), so revocations, dynamic RBAC and the audit trail
// survive a restart or a crash (issue #10). WAL journal with synchronous=FULL: a write returns only once it is on
// disk, so an acknowledged admin change survives SIGKILL and power loss alike. The file is held with an exclusive
// lock for the life of the process: the embedded store is single-instance, and a second process is refused at start.
import { chmodSync, existsSync } from 'node:fs';
import Database, { type Database as Connection } from 'better-sqlite3';
import { GatewayError, isGatewayError } from '../../errors.js';
import type { AuditCaps, RevocationListOptions, Store, StoreNotice, StoreStatus } from '../store.js';
import { SqliteAuditTrail } from './sqlite-audit-trail.js';
import type { SqliteFile } from './sqlite-file.js';
import { SqliteGrantUsage } from './sqlite-grant-usage.js';
import { SqliteRbacStore } from './sqlite-rbac-store.js';
import { SqliteRevocationList } from './sqlite-revocation-list.js';
import { prepareSchema } from './sqlite-schema.js';

export class SqliteStore implements Store, SqliteFile {
  readonly kind = 'sqlite' as const;
  /** One process holds the file: budgets stay in memory, and nothing needs announcing to other instances. */
  readonly shared = false;
  readonly db: Connection;
  readonly path: string;
  readonly #beforeClose: (() => void)[] = [];

  private constructor(db: Connection, path: string) {
    this.db = db;
    this.path = path;
  }

  /** Opens (or creates) the file and takes its lock; throws PG_STORE_FILE_UNUSABLE saying why it cannot. */
  static open(path: string): SqliteStore {
    let db: Connection | undefined;
    try {
      const fresh = !existsSync(path);
      db = new Database(path, { timeout: 0 });
      // Revocations and policy are nobody else's business; SQLite gives the -wal journal the file's own mode.
      if (fresh) chmodSync(path, 0o600);
      // Before WAL is entered: in exclusive mode SQLite keeps the WAL index in memory (no -shm file) and never lets
      // the lock go, so a second process gets SQLITE_BUSY here at once.
      db.pragma('locking_mode = EXCLUSIVE');
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw unusable(path, `the WAL journal was refused (journal_mode is ${String(mode)})`);
      db.pragma('synchronous = FULL');
      db.exec('BEGIN EXCLUSIVE; COMMIT');
      const check = db.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw unusable(path, `the file is corrupt (${String(check)})`);
      const refused = prepareSchema(db);
      if (refused !== undefined) throw unusable(path, refused);
      return new SqliteStore(db, path);
    } catch (err) {
      db?.close();
      throw isGatewayError(err) ? err : unusable(path, explain(err), err);
    }
  }

  status(): StoreStatus {
    return this.db.open ? { kind: 'sqlite', ready: true } : { kind: 'sqlite', ready: false, detail: 'closed' };
  }

  async ready(): Promise<void> {}

  watch(): void {}

  notice(): StoreNotice {
    return { level: 'info', message: 'embedded store: revocations, dynamic RBAC and the audit trail are kept in this file (single instance)', fields: { path: this.path } };
  }

  auditTrail(caps?: AuditCaps): SqliteAuditTrail {
    return new SqliteAuditTrail(this, caps);
  }

  revocationList(options: RevocationListOptions): SqliteRevocationList {
    return new SqliteRevocationList(this, options.now);
  }

  rbacStore(): SqliteRbacStore {
    return new SqliteRbacStore(this);
  }

  grantUsage(): SqliteGrantUsage {
    return new SqliteGrantUsage(this);
  }

  sharedRateLimits(): undefined {
    return undefined;
  }

  /** Runs `work` (one synchronous write); a file that refuses it is PG_STORE_FILE_UNUSABLE, and nothing was written. */
  write<T>(work: () => T): T {
    try {
      return work();
    } catch (err) {
      if (isGatewayError(err)) throw err;
      throw unusable(this.path, explain(err), err);
    }
  }

  /** Work that must reach the file before it closes (the audit trail's pending denials). */
  beforeClose(work: () => void): void {
    this.#beforeClose.push(work);
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    for (const work of this.#beforeClose.splice(0)) {
      try {
        work();
      } catch {
        // Closing goes on: the file must be released even when a last write fails.
      }
    }
    this.db.close();
  }
}

function unusable(path: string, reason: string, cause?: unknown): GatewayError {
  return new GatewayError('PG_STORE_FILE_UNUSABLE', { detail: `store.path ${path}: ${reason}`, cause });
}

/** SQLite's result codes, in words an operator can act on. */
function explain(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const message = (err as Error).message ?? String(err);
  if (typeof code !== 'string') return message;
  if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_LOCKED')) {
    return 'in use by another permgate process; the embedded store is single-instance (run several instances on store.redis)';
  }
  if (code === 'SQLITE_NOTADB') return 'not a SQLite database';
  if (code.startsWith('SQLITE_CORRUPT')) return `the file is corrupt (${message})`;
  if (code.startsWith('SQLITE_CANTOPEN')) return 'cannot be opened: does its directory exist, and may this user write there?';
  if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_PERM' || code === 'SQLITE_AUTH') return `cannot be written by this user (${message})`;
  if (code === 'SQLITE_FULL') return 'the disk is full';
  return `${code}: ${message}`;
}
