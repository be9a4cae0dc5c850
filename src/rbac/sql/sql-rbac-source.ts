// The SQL permission source (issue 16): reads roles, bindings and grants from a legacy database through the configured
// queries, keeps every role in memory (read whole at start and on a resync; a role a notification names is read alone
// when there is a roleGrantsOf query), reads a subject when the engine asks for it (its cold miss), and turns the
// database's changes into RbacChange announcements: LISTEN/NOTIFY payloads naming subjects and roles, or a polled
// version that changed. It is "current" only while it reached the database last time
// it tried and, with notify, holds its LISTEN connection; otherwise it keeps retrying, and a resync follows recovery.
import { LRUCache } from 'lru-cache';
import type { SqlSourceConfig } from '../../config/rbac-types.js';
import type { RoleDefinition, SubjectRecord } from '../model.js';
import type { RbacChange } from '../rbac-store.js';
import { openSqlClient, type SqlClient, type SqlListener, type SqlResult } from './sql-client.js';
import { errorText, isQueryError } from './sql-errors.js';
import { SqlRoles, type ParentRows } from './sql-roles.js';
import { columnProblem, subjectFromRows, type QueryKey, type RowMapping, type RowReport } from './sql-rows.js';

/** A configured query that fails as written or returns the wrong columns: a config error naming `key`. */
export class SqlQueryProblem extends Error {
  constructor(readonly key: QueryKey, message: string) {
    super(message);
    this.name = 'SqlQueryProblem';
  }
}

/** The queries the source runs: the configured ones, and the preset's count of rows it cannot map. */
export type SourceQuery = QueryKey | 'unmapped';

export interface SqlSourceEvents {
  /** One query run: which, how it ended, how long it took. */
  readonly onQuery?: (query: SourceQuery, outcome: 'ok' | 'error', seconds: number) => void;
  /** The source became current (true) or stopped being current (false). */
  readonly onUp?: (up: boolean) => void;
  /** A row that was left out or read as a deny. */
  readonly onRow?: RowReport;
  /** Something the operator should know: a lost connection, a failed reload, an unreadable notification. */
  readonly onTrouble?: (message: string, reason: string) => void;
  /**
   * The rows the preset cannot map, counted by kind (`config.unmapped`), at start and after every full reload; never
   * called for a source without that query.
   */
  readonly onUnmapped?: (counts: ReadonlyMap<string, number>) => void;
}

/** The subject the start-up check runs the per-subject queries with. */
export const PROBE_SUBJECT = 'permgate:start-up-probe';
/** The role the start-up check runs the per-role queries with (an `@`, so a preset's domain branch runs too). */
export const PROBE_ROLE = 'permgate:start-up-probe@permgate';
/**
 * A notification naming at most this many roles has them read one by one (roleGrantsOf); naming more (a bulk change),
 * every role is read at once instead: beyond this, one pass over the table costs less than the queries per role.
 */
export const ROLE_READ_LIMIT = 50;
/**
 * With polling, a changed version re-reads up to this many subjects this instance has read (announcing those whose
 * rows differ); beyond it, a resync has each re-read on its next use instead of all at once.
 */
export const REREAD_LIMIT = 1_000;

export class SqlRbacSource {
  readonly #config: SqlSourceConfig;
  readonly #client: SqlClient;
  readonly #mapping: RowMapping;
  readonly #events: SqlSourceEvents;
  readonly #now: () => number;
  /** Subjects read through this source, with their rows' fingerprint: what a polled change compares. */
  readonly #read: LRUCache<string, string>;
  readonly #roles: SqlRoles;
  /** Whether every role was read once: before that there is nothing to replace a few roles in. */
  #rolesRead = false;
  #version: string | undefined;
  /** A version the check saw that no notification has brought yet: missed if the next check still sees it. */
  #unannounced: string | undefined;
  #current = false;
  /** When the source stopped being current; undefined while current; -Infinity: never current since start. */
  #downSince: number | undefined = -Infinity;
  #listener: SqlListener | undefined;
  #onChange: (change: RbacChange) => void = () => {};
  #timer: NodeJS.Timeout | undefined;
  #rolesReload: Promise<ReadonlySet<string>> | undefined;
  /** What the next role read must read: every role, or these stored role names. */
  #rolesWanted: 'all' | Set<string> = new Set();
  #syncing: Promise<void> | undefined;
  #closed = false;

  private constructor(config: SqlSourceConfig, client: SqlClient, mapping: RowMapping, cacheSize: number, events: SqlSourceEvents, now: () => number) {
    this.#config = config;
    this.#client = client;
    this.#mapping = mapping;
    this.#events = events;
    this.#now = now;
    this.#read = new LRUCache({ max: cacheSize });
    this.#roles = new SqlRoles(mapping, this.#report);
  }

  /** Opens the pool (importing the driver: SqlDriverMissing when it is not installed). Connects lazily. */
  static async open(config: SqlSourceConfig, mapping: RowMapping, options: { cacheSize: number; events?: SqlSourceEvents; now?: () => number }): Promise<SqlRbacSource> {
    const client = await openSqlClient(config);
    return new SqlRbacSource(config, client, mapping, options.cacheSize, options.events ?? {}, options.now ?? Date.now);
  }

  get config(): SqlSourceConfig {
    return this.#config;
  }

  /**
   * Runs every configured query once (the per-subject and per-role ones for a probe that matches nothing). Returns the
   * queries that are wrong as written; `reachable` false when the database did not answer (not a config error).
   */
  async check(): Promise<{ readonly reachable: boolean; readonly problems: readonly SqlQueryProblem[] }> {
    const problems: SqlQueryProblem[] = [];
    const { queries } = this.#config;
    const order: [QueryKey, string | undefined, Readonly<Record<string, string>> | undefined][] = [
      ['version', queries.version, undefined],
      ['roleGrants', queries.roleGrants, undefined],
      ['roleGrantsOf', queries.roleGrantsOf, { role: PROBE_ROLE }],
      ['roleParents', queries.roleParents, undefined],
      ['roleParentsOf', queries.roleParentsOf, { role: PROBE_ROLE }],
      ['subjectRoles', queries.subjectRoles, { subject: PROBE_SUBJECT }],
      ['subjectGrants', queries.subjectGrants, { subject: PROBE_SUBJECT }],
    ];
    for (const [key, sql, params] of order) {
      if (sql === undefined) continue;
      let result: SqlResult;
      try {
        result = await this.#run(key, sql, params);
      } catch (err) {
        if (!isQueryError(err)) return { reachable: false, problems };
        problems.push(new SqlQueryProblem(key, `fails: ${errorText(err)}`));
        continue;
      }
      const problem = columnProblem(key, result.columns);
      if (problem !== undefined) problems.push(new SqlQueryProblem(key, problem));
      else if (key === 'version' && result.rows.length !== 1) {
        problems.push(new SqlQueryProblem(key, `returns ${result.rows.length} rows, not one`));
      }
    }
    return { reachable: true, problems };
  }

  /** Reads everything once and starts watching for changes. A database that is down now is retried, never thrown. */
  async start(onChange: (change: RbacChange) => void): Promise<void> {
    this.#onChange = onChange;
    await this.#sync(undefined);
    this.#schedule();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#listener?.close();
    this.#listener = undefined;
    await this.#client.close().catch(() => {});
  }

  isCurrent(): boolean {
    return this.#current;
  }

  /** How long the source has not been current, in ms (0 while it is; Infinity when it never was since start). */
  unreachableFor(): number {
    if (this.#downSince === undefined) return 0;
    return this.#downSince === -Infinity ? Infinity : this.#now() - this.#downSince;
  }

  /** Every role as last read. Throws while the roles were never read (the database was down since start). */
  roles(): ReadonlyMap<string, RoleDefinition> {
    if (!this.#rolesRead) throw new Error('the SQL source has not read its roles yet');
    return this.#roles.roles;
  }

  /**
   * One subject's bindings and direct grants, read now. Refused while the source is not current, even if the database
   * answers again: the roles in memory may predate changes made meanwhile, and a subject compiled against them would
   * hold a role's revoked grants until the next change to it.
   */
  async loadSubject(subject: string): Promise<SubjectRecord> {
    if (!this.#current) throw new Error('the SQL source is not current');
    const { queries } = this.#config;
    try {
      const [roles, grants] = await Promise.all([
        this.#run('subjectRoles', queries.subjectRoles, { subject }),
        queries.subjectGrants === undefined ? undefined : this.#run('subjectGrants', queries.subjectGrants, { subject }),
      ]);
      const record = subjectFromRows(roles.rows, grants?.rows ?? [], this.#mapping, this.#report, subject);
      this.#read.set(subject, JSON.stringify(record));
      return record;
    } catch (err) {
      this.#down(`reading a subject failed: ${errorText(err)}`);
      throw err;
    }
  }

  readonly #report: RowReport = (where, reason) => this.#events.onRow?.(where, reason);

  async #run(key: SourceQuery, sql: string, params?: Readonly<Record<string, string>>): Promise<SqlResult> {
    const started = performance.now();
    try {
      const result = await this.#client.query(sql, params);
      this.#events.onQuery?.(key, 'ok', (performance.now() - started) / 1000);
      return result;
    } catch (err) {
      this.#events.onQuery?.(key, 'error', (performance.now() - started) / 1000);
      throw err;
    }
  }

  #schedule(): void {
    if (this.#closed) return;
    const { changes } = this.#config;
    const every = changes.kind === 'notify' ? changes.check : changes.interval;
    this.#timer = setTimeout(() => void this.#tick().finally(() => this.#schedule()), every);
    this.#timer.unref();
  }

  /** The version check (and, while not current, the reconnect). */
  async #tick(): Promise<void> {
    if (this.#closed) return;
    if (!this.#current) return this.#sync('reconnected');
    let version: string;
    try {
      version = await this.#readVersion();
    } catch (err) {
      return this.#down(`the version query failed: ${errorText(err)}`);
    }
    if (version === this.#version) {
      this.#unannounced = undefined;
      return;
    }
    if (this.#config.changes.kind === 'notify' && this.#unannounced !== version) {
      // Its notification may be on the way (the version is bumped in the same transaction that notifies).
      this.#unannounced = version;
      return;
    }
    this.#unannounced = undefined;
    if (this.#config.changes.kind === 'notify') return this.#sync('version check', version);
    await this.#polledChange(version).catch((err: unknown) => this.#down(`reloading after a change failed: ${errorText(err)}`));
  }

  /**
   * Reads everything again (LISTEN first, so nothing announced meanwhile is lost) and, unless this is the start, asks
   * the engine to re-read every compiled subject. Runs one at a time.
   */
  #sync(reason: string | undefined, seen?: string): Promise<void> {
    if (this.#syncing !== undefined) return this.#syncing;
    this.#syncing = (async () => {
      try {
        const { changes } = this.#config;
        if (changes.kind === 'notify' && this.#listener === undefined) {
          this.#listener = await this.#client.listen!(changes.channel, (payload) => this.#notified(payload), (err) => this.#down(`the LISTEN connection was lost: ${errorText(err)}`));
        }
        const version = seen ?? (await this.#readVersion());
        const changed = await this.#reloadRoles('all');
        this.#version = version;
        this.#up();
        if (reason !== undefined) {
          // Changed roles are named as well: a resync alone re-reads subjects but evicts no holder of a role, so a
          // subject re-read while the engine still swaps its roles in would keep the old role's grants.
          for (const name of changed) this.#onChange({ kind: 'role', name, version: numeric(version) });
          this.#onChange({ kind: 'resync', reason });
        }
        await this.#countUnmapped();
      } catch (err) {
        this.#down(`${reason === undefined ? 'reading at start' : 'resynchronizing'} failed: ${errorText(err)}`);
      } finally {
        this.#syncing = undefined;
      }
    })();
    return this.#syncing;
  }

  /** Polling saw a new version: changed roles are announced; subjects read here are re-read and announced if they differ. */
  async #polledChange(version: string): Promise<void> {
    // Nothing says which roles changed: every role is read.
    const changed = await this.#reloadRoles('all');
    for (const name of changed) this.#onChange({ kind: 'role', name, version: numeric(version) });
    const subjects = [...this.#read.keys()];
    if (subjects.length > REREAD_LIMIT) {
      this.#version = version;
      this.#onChange({ kind: 'resync', reason: 'version changed' });
      return;
    }
    const before = new Map(subjects.map((s) => [s, this.#read.get(s)]));
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < subjects.length) {
        const subject = subjects[next++]!;
        await this.loadSubject(subject);
        if (this.#read.get(subject) !== before.get(subject)) this.#onChange({ kind: 'subject', name: subject, version: numeric(version) });
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#config.pool, subjects.length) }, worker));
    this.#version = version;
  }

  /**
   * A NOTIFY payload: `{ version, subjects: [...], roles: [...] }`, or `{ version, resync: true }` (`{ all: true }`
   * from the shared trigger builder, change-triggers.ts: a TRUNCATE, or a change too large to name). Roles are named
   * as the database stores them (roleGrants's `role` before the preset's role()): that name is what roleGrantsOf reads.
   */
  #notified(payload: string): void {
    let message: { version?: unknown; subjects?: unknown; roles?: unknown; resync?: unknown; all?: unknown };
    try {
      message = JSON.parse(payload) as typeof message;
      if (message === null || typeof message !== 'object') throw new Error('not an object');
    } catch {
      this.#events.onTrouble?.('unreadable notification: resynchronizing', payload.slice(0, 100));
      void this.#sync('unreadable message');
      return;
    }
    const version = message.version === undefined ? undefined : String(message.version);
    if (version !== undefined && (this.#version === undefined || !(numeric(version) < numeric(this.#version)))) this.#version = version;
    if (message.resync === true || message.all === true) {
      void this.#sync('announced resync', version);
      return;
    }
    const names = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);
    for (const raw of names(message.subjects)) {
      this.#read.delete(raw);
      this.#onChange({ kind: 'subject', name: raw, version: numeric(version) });
    }
    const stored = names(message.roles);
    if (stored.length === 0) return;
    // The notifications of one transaction arrive together: their roles are read again once, after the last of them.
    const first = this.#notifiedRoles.size === 0;
    for (const name of stored) this.#notifiedRoles.add(name);
    this.#notifiedVersion = numeric(version);
    if (first) setImmediate(() => this.#reloadNotifiedRoles());
  }

  /** Roles notified and not read yet, as the database stores their names. */
  readonly #notifiedRoles = new Set<string>();
  #notifiedVersion = 0;

  /** The roles are read again before they are announced: the engine reloads them from this source's snapshot. */
  #reloadNotifiedRoles(): void {
    const stored = [...this.#notifiedRoles];
    const roles = stored.map((name) => this.#mapping.role(name));
    const version = this.#notifiedVersion;
    this.#notifiedRoles.clear();
    this.#reloadRoles(stored).then(
      (changed) => {
        for (const name of new Set([...roles, ...changed])) this.#onChange({ kind: 'role', name, version });
      },
      (err: unknown) => this.#down(`reloading roles after a notification failed: ${errorText(err)}`),
    );
  }

  /**
   * Runs the preset's count of the rows it cannot map, so they are reported rather than dropped silently. Once per
   * full read (start, resync), not per change: on a large table it is a full scan, like roleGrants. A failure is
   * reported and changes nothing else: the count describes the policy, it is not part of it.
   */
  async #countUnmapped(): Promise<void> {
    const sql = this.#config.unmapped;
    if (sql === undefined) return;
    let rows: readonly Readonly<Record<string, unknown>>[];
    try {
      rows = (await this.#run('unmapped', sql)).rows;
    } catch (err) {
      this.#events.onTrouble?.('counting the rows the preset cannot map failed', errorText(err));
      return;
    }
    const counts = new Map<string, number>();
    for (const row of rows) {
      const what = String(row['what'] ?? '');
      counts.set(what, (counts.get(what) ?? 0) + (Number(row['count']) || 0));
    }
    this.#events.onUnmapped?.(counts);
  }

  async #readVersion(): Promise<string> {
    const result = await this.#run('version', this.#config.queries.version);
    const row = result.rows[0];
    if (row === undefined) return '';
    const value = Object.values(row)[0];
    return value instanceof Date ? String(value.getTime()) : String(value);
  }

  /**
   * Reads every role again, or the roles named (by their stored names), one read at a time: a request meanwhile is
   * read once more after it, and the promise settles once it is. Returns the permgate names of the roles that differ.
   * Named roles are read alone only with a roleGrantsOf query, after a first full read, and up to ROLE_READ_LIMIT.
   */
  #reloadRoles(which: 'all' | readonly string[]): Promise<ReadonlySet<string>> {
    if (which === 'all') this.#rolesWanted = 'all';
    else if (this.#rolesWanted !== 'all') for (const name of which) this.#rolesWanted.add(name);
    if (this.#rolesReload !== undefined) return this.#rolesReload;
    this.#rolesReload = (async () => {
      const changed = new Set<string>();
      try {
        while (this.#rolesWanted === 'all' || this.#rolesWanted.size > 0) {
          const wanted = this.#rolesWanted;
          this.#rolesWanted = new Set();
          const partial = wanted !== 'all' && this.#rolesRead && this.#config.queries.roleGrantsOf !== undefined && wanted.size <= ROLE_READ_LIMIT;
          const differ = partial ? await this.#readRoles([...wanted]) : await this.#readAllRoles();
          for (const name of differ) changed.add(name);
        }
        return changed;
      } catch (err) {
        // What this read was to bring is owed still: the next read (a resync, once the source is current again) is full.
        this.#rolesWanted = 'all';
        throw err;
      } finally {
        this.#rolesReload = undefined;
      }
    })();
    return this.#rolesReload;
  }

  async #readAllRoles(): Promise<ReadonlySet<string>> {
    const { queries } = this.#config;
    const [grants, parents] = await Promise.all([
      this.#run('roleGrants', queries.roleGrants),
      queries.roleParents === undefined ? undefined : this.#run('roleParents', queries.roleParents),
    ]);
    const changed = this.#roles.replaceAll(grants.rows, parents?.rows ?? []);
    this.#rolesRead = true;
    return changed;
  }

  /** Reads the roles named, each with roleGrantsOf (and roleParentsOf), a few at a time through the pool. */
  async #readRoles(stored: readonly string[]): Promise<ReadonlySet<string>> {
    const { queries } = this.#config;
    const grantRows: Readonly<Record<string, unknown>>[] = [];
    const parentRows: Readonly<Record<string, unknown>>[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < stored.length) {
        const role = stored[next++]!;
        const [grants, parents] = await Promise.all([
          this.#run('roleGrantsOf', queries.roleGrantsOf!, { role }),
          queries.roleParentsOf === undefined ? undefined : this.#run('roleParentsOf', queries.roleParentsOf, { role }),
        ]);
        grantRows.push(...grants.rows);
        if (parents !== undefined) parentRows.push(...parents.rows);
      }
    };
    // Without a per-role form, every parent row is read (roleParents is small in every preset that has no roleParentsOf).
    const [all] = await Promise.all([
      queries.roleParents !== undefined && queries.roleParentsOf === undefined ? this.#run('roleParents', queries.roleParents) : undefined,
      ...Array.from({ length: Math.min(this.#config.pool, stored.length) }, worker),
    ]);
    const parents: ParentRows = queries.roleParents === undefined ? undefined : all !== undefined ? { all: all.rows } : { of: parentRows };
    return this.#roles.replace(stored, grantRows, parents);
  }

  #up(): void {
    if (this.#current) return;
    this.#current = true;
    this.#downSince = undefined;
    this.#events.onUp?.(true);
  }

  #down(reason: string): void {
    const listener = this.#listener;
    this.#listener = undefined;
    void listener?.close();
    if (!this.#current) return;
    this.#current = false;
    this.#downSince = this.#now();
    this.#events.onUp?.(false);
    this.#events.onTrouble?.('SQL source not current: retrying', reason);
  }
}

/** A version as the number RbacChange carries (NaN-free: 0 for one that is not a number). */
function numeric(version: string | undefined): number {
  const n = Number(version);
  return Number.isFinite(n) ? n : 0;
}
