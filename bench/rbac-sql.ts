// Benchmark: a cold miss from the SQL source at the target scale (issue 16) — 100,000 users, 1,000 roles and
// 1,000,000 role → permission records in a throwaway database on the machine's PostgreSQL and MariaDB, generated in
// SQL (generate_series; MariaDB's sequence tables). A cold miss is what the engine does for a subject it has not
// compiled: the layered store reads the store record and the subject's SQL rows (subjectRoles, subjectGrants: two
// indexed queries, in parallel), then compiles and decides. One at a time, over distinct random users, so each is a
// miss; the roles' shared tries are compiled before, as on a running instance. Also timed: the SQL read alone, reading
// every role once (roleGrants, 1,000,000 rows, which start-up and a resync pay) and compiling every role.
// Then a role change on PostgreSQL (role-change section): the RuoYi preset's tables at the same scale (1,000 roles ×
// 1,000 menus in sys_role_menu, 100,000 users) with its printed NOTIFY triggers, and the time from an UPDATE of one
// role's permission until the source's roles have it and until the authorizer refuses a holder of the role; first as
// before (a role change reads every role: no roleGrantsOf), then reading the named role alone, in the same run.
// Environment: RBAC_SQL_BENCH_MISSES (default 2,000), RBAC_SQL_BENCH_DIALECTS (default "postgres,mysql"),
// RBAC_SQL_BENCH_PARTS (default "misses,role-change"), RBAC_SQL_BENCH_ROLE_CHANGES (changes timed per way, default 5
// reading every role, 30 reading one).
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Identity } from '../src/auth/identity.js';
import { Checker } from '../src/config/checker.js';
import { defaultRbac } from '../src/config/validate-rbac.js';
import { checkSqlSource } from '../src/config/validate-sql-source.js';
import { RbacAuthorizer } from '../src/rbac/rbac-authorizer.js';
import { LayeredRbacStore } from '../src/rbac/sql/layered-rbac-store.js';
import type { SqlDialect } from '../src/rbac/sql/sql-preset.js';
import { ruoyi } from '../src/rbac/sql/presets/ruoyi.js';
import { SqlRbacSource } from '../src/rbac/sql/sql-rbac-source.js';
import { AS_WRITTEN } from '../src/rbac/sql/sql-rows.js';
import type { RbacChange, RbacStore } from '../src/rbac/rbac-store.js';
import type { PermissionCode } from '../src/routing/permission-template.js';
import { MemoryRbacStore } from '../src/stores/memory/memory-rbac-store.js';
import { createDatabase } from '../test/helpers/sql-database.js';
import { presetTables } from '../test/helpers/sql-preset-scale.js';

const USERS = 100_000;
const ROLES = 1_000;
const GRANTS_PER_ROLE = 1_000;
const ROLES_PER_USER = 3;
const MISSES = Number(process.env.RBAC_SQL_BENCH_MISSES ?? 2_000);
const DIALECTS = (process.env.RBAC_SQL_BENCH_DIALECTS ?? 'postgres,mysql').split(',') as SqlDialect[];
const PARTS = (process.env.RBAC_SQL_BENCH_PARTS ?? 'misses,role-change').split(',');
const ROLE_CHANGES = process.env.RBAC_SQL_BENCH_ROLE_CHANGES === undefined ? undefined : Number(process.env.RBAC_SQL_BENCH_ROLE_CHANGES);

/** The same data on both: role r holds `mod<r % 50>:res<k>:read` for k < 1,000; user u holds roles (u·7 + i·131) % 1,000. */
export function schema(dialect: SqlDialect): string {
  const seq = (n: number, name: string): string => (dialect === 'postgres' ? `generate_series(0, ${n - 1}) AS ${name}(n)` : `seq_0_to_${n - 1} AS ${name}`);
  const n = (name: string): string => (dialect === 'postgres' ? `${name}.n` : `${name}.seq`);
  const concat = (...parts: string[]): string => (dialect === 'postgres' ? parts.join(' || ') : `CONCAT(${parts.join(', ')})`);
  return `
CREATE TABLE app_user (id INT PRIMARY KEY, login VARCHAR(64) NOT NULL);
CREATE UNIQUE INDEX app_user_login ON app_user (login);
CREATE TABLE app_role (id INT PRIMARY KEY, name VARCHAR(64) NOT NULL);
CREATE TABLE app_user_role (user_id INT NOT NULL, role_id INT NOT NULL, PRIMARY KEY (user_id, role_id));
CREATE TABLE role_permission (role_id INT NOT NULL, code VARCHAR(128) NOT NULL);
CREATE TABLE rbac_version (id INT PRIMARY KEY, version BIGINT NOT NULL);
INSERT INTO rbac_version VALUES (1, 0);
INSERT INTO app_user SELECT ${n('u')}, ${concat("'user-'", dialect === 'postgres' ? `${n('u')}::text` : n('u'))} FROM ${seq(USERS, 'u')};
INSERT INTO app_role SELECT ${n('r')}, ${concat("'role-'", dialect === 'postgres' ? `${n('r')}::text` : n('r'))} FROM ${seq(ROLES, 'r')};
INSERT INTO app_user_role SELECT ${n('u')}, (${n('u')} * 7 + ${n('i')} * 131) % ${ROLES} FROM ${seq(USERS, 'u')} CROSS JOIN ${seq(ROLES_PER_USER, 'i')};
INSERT INTO role_permission SELECT ${n('r')}, ${concat("'mod'", dialect === 'postgres' ? `(${n('r')} % 50)::text` : `${n('r')} % 50`, "':res'", dialect === 'postgres' ? `${n('k')}::text` : n('k'), "':read'")} FROM ${seq(ROLES, 'r')} CROSS JOIN ${seq(GRANTS_PER_ROLE, 'k')};
CREATE INDEX role_permission_role ON role_permission (role_id);
${dialect === 'postgres' ? 'ANALYZE;' : 'ANALYZE TABLE app_user, app_role, app_user_role, role_permission;'}
`;
}

const SQL = {
  subjectRoles: 'SELECT r.name AS role FROM app_user u JOIN app_user_role ur ON ur.user_id = u.id JOIN app_role r ON r.id = ur.role_id WHERE u.login = :subject',
  roleGrants: 'SELECT r.name AS role, p.code AS code FROM app_role r JOIN role_permission p ON p.role_id = r.id',
  subjectGrants: "SELECT p.code AS code FROM app_user u JOIN role_permission p ON p.role_id = -1 - u.id WHERE u.login = :subject",
};

/** A seeded PRNG, so every run asks about the same users. */
function prng(seed: number): () => number {
  return () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
}

const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

async function run(dialect: SqlDialect): Promise<string> {
  let started = performance.now();
  const db = await createDatabase(dialect, schema(dialect));
  const seedSeconds = (performance.now() - started) / 1000;
  try {
    const c = new Checker(() => ({ file: 'bench', line: 0, column: 0 }));
    const config = checkSqlSource(
      c,
      { url: db.url, preset: 'none', queries: SQL, changes: { poll: '1h', version: 'SELECT version FROM rbac_version WHERE id = 1' }, pool: 4, statementTimeout: '30s', connectTimeout: '2s' } as never,
      1_000,
    );
    if (config === undefined) throw new Error(c.issues.map((i) => i.message).join('; '));
    const source = await SqlRbacSource.open(config, AS_WRITTEN, { cacheSize: 100_000 });
    const rbac = new RbacAuthorizer({ ...defaultRbac(), cacheSize: 100_000 }, new LayeredRbacStore(new MemoryRbacStore(), source));
    started = performance.now();
    await rbac.start();
    const rolesSeconds = (performance.now() - started) / 1000;
    // The roles' tries are compiled once per graph and shared by every holder: compiled here first, as they are on a
    // running instance, so a miss measures the subject (its two queries and its compile), not a role's first use.
    started = performance.now();
    for (const name of rbac.graph.roles.keys()) rbac.graph.compiled(name);
    const compileSeconds = (performance.now() - started) / 1000;
    const random = prng(16);
    const seen = new Set<number>();
    const fresh = (): number => {
      for (;;) {
        const user = Math.floor(random() * USERS);
        if (!seen.has(user)) {
          seen.add(user);
          return user;
        }
      }
    };
    // The SQL read alone (subjectRoles and subjectGrants, in parallel), then whole cold misses, on other users.
    const reads: number[] = [];
    for (let i = 0; i < MISSES; i++) {
      const t0 = performance.now();
      await source.loadSubject(`user-${fresh()}`);
      reads.push(performance.now() - t0);
    }
    const times: number[] = [];
    let allowed = 0;
    while (times.length < MISSES) {
      const user = fresh();
      const identity: Identity = { subject: `user-${user}`, roles: [], tenant: undefined, scopes: [] };
      const code = `mod${((user * 7) % ROLES) % 50}:res${Math.floor(random() * GRANTS_PER_ROLE)}:read` as PermissionCode;
      const t0 = performance.now();
      const decision = await rbac.authorize({ identity, tenant: undefined, codes: [code], mode: 'all', sensitive: false });
      times.push(performance.now() - t0);
      if (decision.allowed) allowed++;
    }
    await rbac.close();
    if (allowed !== MISSES) throw new Error(`${MISSES - allowed} of ${MISSES} cold misses were refused: the data or the queries are wrong`);
    times.sort((a, b) => a - b);
    reads.sort((a, b) => a - b);
    const ms = (v: number): string => `${v.toFixed(2)} ms`;
    const row = `| ${dialect === 'postgres' ? 'PostgreSQL 15' : 'MariaDB 10.11'} | ${ms(quantile(times, 0.5))} | ${ms(quantile(times, 0.99))} | ${ms(quantile(reads, 0.5))} | ${ms(quantile(reads, 0.99))} | ${rolesSeconds.toFixed(1)} s | ${compileSeconds.toFixed(1)} s | ${seedSeconds.toFixed(0)} s |`;
    process.stdout.write(`${row}\n`);
    return row;
  } finally {
    await db.drop();
  }
}

const load = (): string => loadavg().map((n) => n.toFixed(2)).join(', ');

/** Waits (polling every millisecond) until `done` holds; the ms since `from`. */
async function until(from: number, done: () => boolean | Promise<boolean>, deadlineMs: number): Promise<number> {
  while (!(await done())) {
    if (performance.now() - from > deadlineMs) throw new Error(`not done after ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return performance.now() - from;
}

/**
 * The store as it is, but `onAnnounce` hears each change the moment it is announced: the SQL source announces a role
 * right after its roles hold the change, before the engine (same event loop) rebuilds its graph from them.
 */
function announcing(store: RbacStore, onAnnounce: (change: RbacChange) => void): RbacStore {
  return {
    start: (onChange) =>
      store.start((change) => {
        onAnnounce(change);
        onChange(change);
      }),
    close: () => store.close(),
    isCurrent: () => store.isCurrent(),
    confirmCurrent: () => store.confirmCurrent(),
    loadRoles: () => store.loadRoles(),
    loadSubject: (subject) => store.loadSubject(subject),
    listSubjects: (cursor, count) => store.listSubjects(cursor, count),
    writeSubject: (subject, stamp, next) => store.writeSubject(subject, stamp, next),
    writeRole: (name, stamp, next) => store.writeRole(name, stamp, next),
  };
}

/**
 * One way of reading a role change, timed: `perRole` false drops the preset's roleGrantsOf, so a change reads every
 * role (as before it existed). Each change moves one of role-0's menus to a menu of another module and back; the time
 * runs from sending the UPDATE (autocommit) until the source announces role-0 with its roles holding the change, and
 * until user-0 (who holds role-0, role-131 and role-262, of other modules) is refused the code: that also takes the
 * engine's rebuild of its role graph and user-0's recompile.
 */
async function roleChanges(url: string, db: Awaited<ReturnType<typeof createDatabase>>, perRole: boolean, changes: number): Promise<string> {
  const c = new Checker(() => ({ file: 'bench', line: 0, column: 0 }));
  const checked = checkSqlSource(c, { url, preset: 'ruoyi', changes: { notify: 'permgate_rbac', check: '1h' }, pool: 4, statementTimeout: '60s', connectTimeout: '5s' } as never, 1_000);
  if (checked === undefined) throw new Error(c.issues.map((i) => i.message).join('; '));
  const config = perRole ? checked : { ...checked, queries: { ...checked.queries, roleGrantsOf: undefined } };
  const source = await SqlRbacSource.open(config, ruoyi, { cacheSize: 100_000 });
  const code = 'mod0:res5:read' as PermissionCode;
  const holds = (): boolean => source.roles().get('role-0')?.grants.includes(code) ?? false;
  let from = 0;
  let announced: number | undefined;
  const store = announcing(new LayeredRbacStore(new MemoryRbacStore(), source), (change) => {
    if (change.kind === 'role' && change.name === 'role-0' && !holds()) announced ??= performance.now() - from;
  });
  const rbac = new RbacAuthorizer({ ...defaultRbac(), cacheSize: 100_000 }, store);
  await rbac.start();
  const identity: Identity = { subject: 'user-0', roles: [], tenant: undefined, scopes: [] };
  const allowed = async (): Promise<boolean> => (await rbac.authorize({ identity, tenant: undefined, codes: [code], mode: 'all', sensitive: false })).allowed;
  if (!(await allowed())) throw new Error('user-0 is refused mod0:res5:read before any change: the data is wrong');
  // Role 0 is role_id 100; menu 10,005 is mod0:res5:read, menu 59,005 (49·1,000 + 5 + 10,000) mod49:res5:read.
  const [own, other] = [10_005, 49 * 1_000 + 5 + 10_000];
  const toRoles: number[] = [];
  const toRefusal: number[] = [];
  try {
    for (let i = 0; i < changes; i++) {
      announced = undefined;
      from = performance.now();
      await db.query(`UPDATE sys_role_menu SET menu_id = ${other} WHERE role_id = 100 AND menu_id = ${own}`);
      const refused = await until(from, async () => announced !== undefined && !(await allowed()), 120_000);
      toRoles.push(announced!);
      toRefusal.push(refused);
      // And back, untimed: the next change starts from where this one did.
      const back = performance.now();
      await db.query(`UPDATE sys_role_menu SET menu_id = ${own} WHERE role_id = 100 AND menu_id = ${other}`);
      await until(back, async () => holds() && (await allowed()), 120_000);
    }
  } finally {
    await rbac.close();
  }
  toRoles.sort((a, b) => a - b);
  toRefusal.sort((a, b) => a - b);
  const ms = (v: number): string => (v >= 1_000 ? `${(v / 1_000).toFixed(1)} s` : `${v.toFixed(1)} ms`);
  return `| ${perRole ? 'the named role alone (roleGrantsOf)' : 'every role (roleGrants), as before'} | ${changes} | ${ms(quantile(toRoles, 0.5))} | ${ms(toRoles.at(-1)!)} | ${ms(quantile(toRefusal, 0.5))} | ${ms(toRefusal.at(-1)!)} |`;
}

async function roleChange(): Promise<void> {
  const scale = { roles: ROLES, perRole: GRANTS_PER_ROLE, users: USERS, perUser: ROLES_PER_USER };
  const started = performance.now();
  const db = await createDatabase('postgres', presetTables('ruoyi', 'postgres', scale));
  try {
    await db.query(ruoyi.triggers('postgres', 'permgate_rbac'));
    process.stdout.write(`\nrole change, PostgreSQL, RuoYi preset with its NOTIFY triggers: ${ROLES} roles × ${GRANTS_PER_ROLE} menus (sys_role_menu), ${USERS} users; generated in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
    process.stdout.write(`load average before: ${load()}\n`);
    process.stdout.write('| a role change reads | changes | until the source has it (median) | (max) | until a holder is refused (median) | (max) |\n|---|---:|---:|---:|---:|---:|\n');
    process.stdout.write(`${await roleChanges(db.url, db, false, ROLE_CHANGES ?? 5)}\n`);
    process.stdout.write(`${await roleChanges(db.url, db, true, ROLE_CHANGES ?? 30)}\n`);
    process.stdout.write(`load average after: ${load()}\n`);
  } finally {
    await db.drop();
  }
}

if (PARTS.includes('misses')) {
  process.stdout.write(`cold misses: ${MISSES} distinct users, one at a time, each allowed\n`);
  process.stdout.write('| database | cold miss median | cold miss p99 | SQL read median | SQL read p99 | every role read (1,000,000 rows) | every role compiled | data generated |\n|---|---:|---:|---:|---:|---:|---:|---:|\n');
  for (const dialect of DIALECTS) await run(dialect);
}
if (PARTS.includes('role-change')) await roleChange();
