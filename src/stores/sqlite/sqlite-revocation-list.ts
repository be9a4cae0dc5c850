// Revocations of the embedded store: the mirror answers requests, the file keeps them. Every change is written (and
// synced) to the file before it enters the mirror and before the admin API answers, so an acknowledged revocation
// survives a crash; at start the mirror is loaded from the file.
import type { Statement } from 'better-sqlite3';
import type { VerifiedToken } from '../../auth/claims.js';
import { RevocationMirror, type RevocationList, type RevocationListener, type RevocationSnapshot, type RevokedSubject, type RevokedToken } from '../../auth/revocation-list.js';
import type { SqliteFile } from './sqlite-file.js';

export class SqliteRevocationList implements RevocationList {
  readonly #store: SqliteFile;
  readonly #mirror: RevocationMirror;
  readonly #now: () => number;
  readonly #sql: {
    readonly putToken: Statement<[string, number]>;
    readonly putSubject: Statement<[string, number]>;
    readonly deleteSubject: Statement<[string]>;
    readonly pruneTokens: Statement<[number]>;
  };
  #timer: NodeJS.Timeout | undefined;

  constructor(store: SqliteFile, now: () => number = Date.now) {
    this.#store = store;
    this.#now = now;
    this.#mirror = new RevocationMirror(now);
    const { db } = store;
    this.#sql = {
      putToken: db.prepare('INSERT INTO revoked_tokens (jti, exp) VALUES (?, ?) ON CONFLICT (jti) DO UPDATE SET exp = excluded.exp'),
      // Revoking again moves the moment forward, never back, as the mirror does.
      putSubject: db.prepare(
        'INSERT INTO revoked_subjects (subject, revoked_before) VALUES (?, ?) ON CONFLICT (subject) DO UPDATE SET revoked_before = max(revoked_before, excluded.revoked_before)',
      ),
      deleteSubject: db.prepare('DELETE FROM revoked_subjects WHERE subject = ?'),
      pruneTokens: db.prepare('DELETE FROM revoked_tokens WHERE exp <= ?'),
    };
  }

  async start(): Promise<void> {
    this.#prune();
    const tokens = this.#store.db.prepare('SELECT jti, exp FROM revoked_tokens').all() as RevokedToken[];
    const subjects = this.#store.db.prepare('SELECT subject, revoked_before AS before FROM revoked_subjects').all() as RevokedSubject[];
    this.#mirror.replace({ version: 0, tokens, subjects });
    this.#timer = setInterval(() => this.#prune(), 60_000);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
  }

  isRevoked(token: VerifiedToken): boolean {
    return this.#mirror.isRevoked(token);
  }

  /** The file is the whole truth and this process its only writer: always current. */
  isCurrent(): boolean {
    return true;
  }

  confirmCurrent(): boolean {
    return true;
  }

  async revokeToken(entry: RevokedToken): Promise<void> {
    this.#store.write(() => this.#sql.putToken.run(entry.jti, entry.exp));
    this.#mirror.addToken(entry);
    this.#mirror.version++;
  }

  async revokeSubject(entry: RevokedSubject): Promise<void> {
    this.#store.write(() => this.#sql.putSubject.run(entry.subject, entry.before));
    this.#mirror.addSubject(entry);
    this.#mirror.version++;
  }

  async restoreSubject(subject: string): Promise<boolean> {
    const { changes } = this.#store.write(() => this.#sql.deleteSubject.run(subject));
    const had = this.#mirror.subjects.delete(subject);
    if (changes > 0 || had) this.#mirror.version++;
    return changes > 0;
  }

  onChange(listener: RevocationListener): () => void {
    return this.#mirror.onChange(listener);
  }

  async snapshot(): Promise<RevocationSnapshot> {
    return this.#mirror.toSnapshot();
  }

  /** Entries whose token has expired protect nothing: dropped from the file and the mirror. */
  #prune(): void {
    if (!this.#store.db.open) return;
    try {
      this.#sql.pruneTokens.run(Math.floor(this.#now() / 1000));
    } catch {
      // Pruning is housekeeping: a failed one is retried at the next tick.
    }
    this.#mirror.prune();
  }
}
