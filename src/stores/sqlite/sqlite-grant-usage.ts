// Grant use in the embedded store's file: one row per (subject, grant) holding the last day, role aggregates under the
// empty subject (no subject has that name: auth/subject-name.ts). The table is created on first use, so a file of
// layout 1 gains it without a new layout (an older permgate ignores the table).
import type { Statement } from 'better-sqlite3';
import type { Day, GrantUsageStore, GrantUse, RoleGrantUse } from '../../privilege/grant-usage-store.js';
import type { SqliteFile } from './sqlite-file.js';

const ROLES = '';
const SINCE = 'grant_usage_since';

export class SqliteGrantUsage implements GrantUsageStore {
  readonly #file: SqliteFile;
  readonly #raise: Statement<[string, string, number]>;
  readonly #subject: Statement<[string]>;
  readonly #since: Statement<[string]>;
  readonly #setSince: Statement<[string, string]>;

  constructor(file: SqliteFile) {
    this.#file = file;
    file.write(() => file.db.exec('CREATE TABLE IF NOT EXISTS grant_usage (subject TEXT NOT NULL, grant TEXT NOT NULL, day INTEGER NOT NULL, PRIMARY KEY (subject, grant)) WITHOUT ROWID'));
    const db = file.db;
    this.#raise = db.prepare('INSERT INTO grant_usage (subject, grant, day) VALUES (?, ?, ?) ON CONFLICT (subject, grant) DO UPDATE SET day = max(day, excluded.day)');
    this.#subject = db.prepare('SELECT grant, day FROM grant_usage WHERE subject = ?');
    this.#since = db.prepare('SELECT value FROM meta WHERE key = ?');
    this.#setSince = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = min(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))');
  }

  async record(uses: readonly GrantUse[], roleUses: readonly RoleGrantUse[]): Promise<void> {
    if (uses.length + roleUses.length === 0) return;
    const db = this.#file.db;
    this.#file.write(() =>
      db.transaction(() => {
        let first = Infinity;
        for (const { subject, grant, day } of uses) {
          this.#raise.run(subject, grant, day);
          first = Math.min(first, day);
        }
        for (const { grant, day } of roleUses) this.#raise.run(ROLES, grant, day);
        if (first !== Infinity) this.#setSince.run(SINCE, String(first));
      })(),
    );
  }

  async subjectUsage(subject: string): Promise<ReadonlyMap<string, Day>> {
    return this.#read(subject);
  }

  async roleUsage(): Promise<ReadonlyMap<string, Day>> {
    return this.#read(ROLES);
  }

  async since(): Promise<Day | undefined> {
    const row = this.#since.get(SINCE) as { value: string } | undefined;
    return row === undefined ? undefined : Number(row.value);
  }

  #read(subject: string): Map<string, Day> {
    const rows = this.#subject.all(subject) as { grant: string; day: number }[];
    return new Map(rows.map((row) => [row.grant, row.day]));
  }
}
