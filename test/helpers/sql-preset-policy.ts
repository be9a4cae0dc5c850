// What every SQL preset test does with a loaded database: run the preset's queries as the source will, check their
// columns against the seam (sql-preset.ts), build the policy with rowsToSubject/rowsToRoles, decide with the real
// engine, and watch the printed triggers bump the version and (PostgreSQL) announce changes.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Test } from 'tap';
import { defaultRbac } from '../../src/config/validate-rbac.js';
import type { SubjectRecord } from '../../src/rbac/model.js';
import { RbacAuthorizer } from '../../src/rbac/rbac-authorizer.js';
import { rowsToRoles, rowsToSubject } from '../../src/rbac/sql/rows-to-policy.js';
import type { SqlDialect, SqlPreset, SqlQueries } from '../../src/rbac/sql/sql-preset.js';
import type { BadPattern } from '../../src/rbac/stored-policy.js';
import type { PermissionCode } from '../../src/routing/permission-template.js';
import { MemoryRbacStore } from '../../src/stores/memory/memory-rbac-store.js';
import { createDatabase, type TestDatabase } from './sql-test-database.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

/** A fixture by path from the repository root, e.g. `test/fixtures/sql/casbin-pg.sql`. */
export function fixture(path: string): string {
  return readFileSync(join(root, path), 'utf8');
}

/** A database of the test's own, loaded from `sqlText`, dropped when the test ends (passed or failed). */
export async function databaseFor(t: Test, dialect: SqlDialect, sqlText: string): Promise<TestDatabase> {
  const db = await createDatabase(dialect, sqlText);
  t.teardown(() => db.drop());
  return db;
}

/** The columns the seam allows per query: required ones first, then optional ones. */
const SEAM: Record<keyof SqlQueries, { required: string[]; optional: string[] }> = {
  subjectRoles: { required: ['role'], optional: ['tenant', 'expires_at'] },
  roleGrants: { required: ['role', 'code'], optional: ['effect'] },
  roleGrantsOf: { required: ['role', 'code'], optional: ['effect'] },
  roleParents: { required: ['role', 'parent'], optional: [] },
  roleParentsOf: { required: ['role', 'parent'], optional: [] },
  subjectGrants: { required: ['code'], optional: ['effect', 'tenant', 'expires_at'] },
  version: { required: ['version'], optional: [] },
};

/** Every query the preset has runs, and returns the seam's required columns plus only optional ones. */
export async function checkSeamColumns(t: Test, db: TestDatabase, preset: SqlPreset, dialect: SqlDialect, subject: string): Promise<void> {
  const queries = preset.queries(dialect);
  for (const key of Object.keys(SEAM) as (keyof SqlQueries)[]) {
    const sql = queries[key];
    if (sql === undefined) continue;
    const { columns } = await db.queryWithColumns(sql, sql.includes(':subject') ? { subject } : sql.includes(':role') ? { role: 'permgate:no-such-role' } : {});
    const { required, optional } = SEAM[key];
    t.same(columns.filter((c) => required.includes(c)), required, `${key} returns ${required.join(', ')}`);
    t.same(columns.filter((c) => !required.includes(c) && !optional.includes(c)), [], `${key} returns no column the seam does not name`);
  }
}

/**
 * Each role read alone (roleGrantsOf, roleParentsOf with `:role`) gives the rows the full query (roleGrants,
 * roleParents) has for it, the role compared exactly as the source compares it (rows of another role a collation calls
 * equal are ignored); so does a name with no rows, and names with `@` (Casbin's domain roles). `others`: more names.
 */
export async function checkRoleReads(t: Test, db: TestDatabase, preset: SqlPreset, dialect: SqlDialect, others: readonly string[] = []): Promise<void> {
  const queries = preset.queries(dialect);
  const key = (row: Record<string, unknown>) => JSON.stringify(Object.entries(row).sort(([a], [b]) => (a < b ? -1 : 1)));
  for (const [whole, one] of [['roleGrants', 'roleGrantsOf'], ['roleParents', 'roleParentsOf']] as const) {
    if (queries[whole] === undefined) continue;
    if (queries[one] === undefined) {
      t.fail(`${preset.name} has ${whole} but no ${one}: a role change would read every row`);
      continue;
    }
    const all = await db.query(queries[whole]!);
    const stored = all.map((r) => r['role']).filter((r): r is string => typeof r === 'string');
    // Upper-cased and space-padded names: another role to PostgreSQL, the same to a MariaDB collation.
    const names = new Set([...stored, ...stored.map((r) => r.toUpperCase()), ...stored.map((r) => `${r} `), 'permgate:no-such-role', 'a@b', 'a@b@c', ...others]);
    let rows = 0;
    for (const name of names) {
      const expected = all.filter((r) => r['role'] === name).map(key).sort();
      const got = (await db.query(queries[one]!, { role: name })).filter((r) => r['role'] === name).map(key).sort();
      rows += got.length;
      if (JSON.stringify(got) !== JSON.stringify(expected)) t.same(got, expected, `${one} ${JSON.stringify(name)} reads the rows ${whole} has for it`);
    }
    t.equal(rows, all.filter((r) => typeof r['role'] === 'string').length, `${one}, run for each of ${names.size} names, reads each of ${whole}'s ${all.length} rows once`);
  }
}

export interface LoadedPolicy {
  readonly roles: ReturnType<typeof rowsToRoles>;
  readonly subjects: Map<string, SubjectRecord>;
  readonly problems: BadPattern[];
}

/** The policy the source would build for these subjects, from the preset's queries over the real database. */
export async function loadPolicy(db: TestDatabase, preset: SqlPreset, dialect: SqlDialect, subjects: readonly string[]): Promise<LoadedPolicy> {
  const queries = preset.queries(dialect);
  const problems: BadPattern[] = [];
  const report = (bad: BadPattern) => void problems.push(bad);
  const roles = rowsToRoles(preset, await db.query(queries.roleGrants), queries.roleParents === undefined ? [] : await db.query(queries.roleParents), report);
  const records = new Map<string, SubjectRecord>();
  for (const subject of subjects) {
    const roleRows = await db.query(queries.subjectRoles, { subject });
    const grantRows = queries.subjectGrants === undefined ? [] : await db.query(queries.subjectGrants, { subject });
    records.set(subject, rowsToSubject(preset, subject, roleRows, grantRows, report));
  }
  return { roles, subjects: records, problems };
}

export type Decide = (subject: string, code: string, tenant?: string) => Promise<boolean>;

/** Decisions by the real engine over the loaded policy; each is checked against its explanation. */
export async function decider(t: Test, policy: LoadedPolicy): Promise<Decide> {
  const rbac = new RbacAuthorizer({ ...defaultRbac(), policy: { roles: policy.roles, subjects: policy.subjects } }, new MemoryRbacStore());
  await rbac.start();
  t.teardown(() => rbac.close());
  return async (subject, code, tenant) => {
    const request = { identity: { subject, roles: [], tenant, scopes: [] }, tenant, codes: [code as PermissionCode], mode: 'all', sensitive: false } as const;
    const decision = await rbac.authorize(request);
    const explained = await rbac.explain(request);
    if (explained.allowed !== decision.allowed) throw new Error(`explain disagrees for ${subject} ${code}`);
    return decision.allowed;
  };
}

async function version(db: TestDatabase, preset: SqlPreset, dialect: SqlDialect): Promise<string> {
  const rows = await db.query(preset.queries(dialect).version!);
  return String(rows[0]!['version']);
}

export type Payload = { readonly subjects: readonly string[]; readonly roles: readonly string[] } | { readonly all: true };

/**
 * A change made in SQL, and the PostgreSQL notifications it must send, in order. None: a change to nothing the preset
 * reads, which must neither move the version nor notify (a notification it sent anyway would show in the next case).
 */
export interface TriggerCase {
  readonly sql: string;
  readonly notified: readonly Payload[];
  /** Whether the version moves; by default, when something is notified. */
  readonly moves?: boolean;
}

/**
 * Without triggers, the version fallback sees an UPDATE that keeps every count (`countKeeping`). Then the printed
 * triggers install, and each case's change bumps the version and, on PostgreSQL, sends exactly its payload.
 */
export async function checkTriggers(t: Test, db: TestDatabase, preset: SqlPreset, dialect: SqlDialect, countKeeping: string, cases: readonly TriggerCase[]): Promise<void> {
  const before = await version(db, preset, dialect);
  t.match(before, /^rows:/, 'without triggers the version is the checksum');
  await db.query(countKeeping);
  t.not(await version(db, preset, dialect), before, 'the checksum sees an UPDATE that keeps every count');

  await db.query(preset.triggers(dialect, 'permgate_rbac'));
  await db.query(preset.triggers(dialect, 'permgate_rbac')); // printed twice: installing again must work
  const counter = dialect === 'postgres' ? preset.queries(dialect).version! : 'SELECT CAST(version AS CHAR) AS version FROM permgate_rbac_version WHERE id = 1';
  const read = async () => String((await db.query(counter))[0]!['version']);
  if (dialect === 'postgres') t.match(await read(), /^counter:\d+$/, 'with triggers installed the version query reads the counter');

  const listener = dialect === 'postgres' ? new pg.Client({ connectionString: db.url }) : undefined;
  const received: string[] = [];
  if (listener !== undefined) {
    await listener.connect();
    t.teardown(() => listener.end());
    listener.on('notification', (n) => void received.push(n.payload ?? ''));
    await listener.query('LISTEN permgate_rbac');
  }
  for (const change of cases) {
    const was = await read();
    await db.query(change.sql);
    if (change.moves ?? change.notified.length > 0) t.not(await read(), was, `the version moves: ${change.sql}`);
    else t.equal(await read(), was, `the version stays: ${change.sql}`);
    if (listener === undefined || change.notified.length === 0) continue;
    await until(() => received.length >= change.notified.length);
    t.same(received.map((p) => JSON.parse(p) as unknown), change.notified, `notified ${JSON.stringify(change.notified)}: ${change.sql}`);
    received.length = 0;
  }
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  // The assertion after this says what did not arrive.
}
