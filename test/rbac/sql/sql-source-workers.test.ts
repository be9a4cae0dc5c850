// The SQL source under a fleet (issue 16 × issue 12): `server.workers: 2` on a private Redis with `rbac.source.sql` on
// RuoYi's tables (test/fixtures/sql/ruoyi-pg.sql, PostgreSQL, the preset's triggers installed). Every worker reads the
// database and LISTENs for itself, so a permission revoked in SQL (a role's, a subject's binding) or granted there is
// in force on every worker, on fresh connections, within the bound the other SQL tests allow for a NOTIFY: no worker
// keeps serving the old grant. Which worker answered each request is read from its log line (every line a worker
// writes carries its pid; with server.accessLog and an unsampled refusal log, every request has one).
import t from 'tap';
import { ruoyi } from '../../../src/rbac/sql/presets/ruoyi.js';
import { fresh, startFleet, type FleetProcess } from '../../helpers/fleet-process.js';
import { startPrivateRedis } from '../../helpers/private-redis.js';
import { startProcessUpstream } from '../../helpers/process-upstream.js';
import { createDatabase, sqlFixture } from '../../helpers/sql-database.js';
import { hsAuth, token } from '../../helpers/tokens.js';
import { fleetConfig } from '../../fleet/fleet-config.js';

/**
 * The bound the two-instance NOTIFY tests allow (ruoyi-preset.test.ts): the issue asks for 100 ms, the shared 2-core
 * test machine (often a load of 10 and more) gets 1 s; the time measured is reported in each assertion.
 */
const BOUND = 1_000;
/** Waves of this many fresh connections at once: cluster's round-robin hands them to the workers in turn. */
const WAVE = 4;
/** A change is in force once this many waves in a row (12 requests) all see it. */
const ROUNDS = 3;

const ROUTES = `  - { path: /biz/order/list/**, upstream: svc, permission: biz:order:list }
  - { path: /biz/asset/list/**, upstream: svc, permission: biz:asset:list }
  - { path: /system/user/list/**, upstream: svc, permission: system:user:list }
`;
const EXTRA = `${hsAuth()}rbac:
  syncInterval: 200ms
  source:
    sql:
      url: \${RBAC_DATABASE_URL}
      preset: ruoyi
      changes: { notify: permgate_rbac, check: 1m }
`;
// Every request logs a line naming its worker: the accepted ones with accessLog, the refused ones unsampled.
const SERVER = `  accessLog: true
  logs: { refusalsPerSecond: 1000000 }
`;

interface Answer {
  readonly path: string;
  readonly status: number;
  /** When it was sent, on performance.now()'s clock. */
  readonly sentAt: number;
}

const jwts = new Map<string, string>();
let seq = 0;

/** One request as `sub` on a connection of its own, to a path no other request uses (so its log line is its own). */
async function ask(fleet: FleetProcess, sub: string, prefix: string): Promise<Answer> {
  if (!jwts.has(sub)) jwts.set(sub, await token({ sub, scope: undefined }));
  const path = `${prefix}/r${++seq}`;
  const sentAt = performance.now();
  const answer = await fresh(`${fleet.url}${path}`, { headers: { authorization: `Bearer ${jwts.get(sub)}` } });
  return { path, status: answer.status, sentAt };
}

/** The pid of the worker that answered each path, from the log lines (waiting for the last of them to arrive). */
async function workersOf(fleet: FleetProcess, answers: readonly Answer[]): Promise<Map<string, number>> {
  const wanted = new Set(answers.map((a) => a.path));
  const found = new Map<string, number>();
  for (let i = 0; i < 50 && found.size < wanted.size; i++) {
    for (const line of fleet.lines()) {
      if ((line.msg === 'request' || line.msg === 'request refused') && wanted.has(line.path as string)) found.set(line.path as string, line.worker as number);
    }
    if (found.size < wanted.size) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return found;
}

/** `n` requests as `sub` on fresh connections; their statuses and the workers that answered. */
async function sweep(fleet: FleetProcess, sub: string, prefix: string, n = 12): Promise<{ statuses: number[]; workers: Set<number> }> {
  const answers: Answer[] = [];
  for (let i = 0; i < n; i += WAVE) answers.push(...(await Promise.all(Array.from({ length: WAVE }, () => ask(fleet, sub, prefix)))));
  return { statuses: answers.map((a) => a.status), workers: new Set((await workersOf(fleet, answers)).values()) };
}

interface Convergence {
  /** From `since` to the first wave of the run in which every request saw `expected` (Infinity: not within 3 s). */
  readonly took: number;
  /** The workers that answered in that run. */
  readonly workers: Set<number>;
  /** Per worker, the last request it answered the old way, in ms after `since` (absent: it never did). */
  readonly lastStale: Map<number, number>;
}

/**
 * Waves of fresh-connection requests as `sub` from `since` on, until ROUNDS waves in a row all get `expected`; any
 * other answer starts the run again, so every request sent from `took` on got `expected`.
 */
async function untilEveryWorker(fleet: FleetProcess, sub: string, prefix: string, expected: number, since: number): Promise<Convergence> {
  const answers: Answer[] = [];
  let firstGood: number | undefined;
  let streak = 0;
  while (performance.now() - since < 3_000 && streak < ROUNDS) {
    const waveStarted = performance.now();
    const wave = await Promise.all(Array.from({ length: WAVE }, () => ask(fleet, sub, prefix)));
    answers.push(...wave);
    if (wave.every((a) => a.status === expected)) {
      firstGood ??= waveStarted;
      streak++;
    } else {
      firstGood = undefined;
      streak = 0;
    }
  }
  const by = await workersOf(fleet, answers);
  const run = firstGood === undefined ? [] : answers.filter((a) => a.sentAt >= firstGood!);
  const lastStale = new Map<number, number>();
  for (const a of answers) {
    const pid = by.get(a.path);
    if (a.status !== expected && pid !== undefined) lastStale.set(pid, Math.max(lastStale.get(pid) ?? -Infinity, a.sentAt - since));
  }
  return {
    took: streak >= ROUNDS ? Math.max(0, firstGood! - since) : Infinity,
    workers: new Set(run.flatMap((a) => (by.has(a.path) ? [by.get(a.path)!] : []))),
    lastStale,
  };
}

/** The change is in force somewhere between the last old answer's request and `took`; both are reported. */
const describe = (c: Convergence): string =>
  `from ${c.took.toFixed(1)} ms after the commit on (the last old answer: ${c.lastStale.size === 0 ? 'none' : [...c.lastStale].map(([pid, ms]) => `worker ${pid}, to a request sent at ${ms.toFixed(1)} ms`).join('; ')})`;

t.test('two workers on one SQL source: each reads and LISTENs for itself, and no worker serves a grant SQL took away', async (t) => {
  const db = await createDatabase('postgres', sqlFixture('ruoyi-pg.sql'));
  t.teardown(() => db.drop());
  await db.query(ruoyi.triggers('postgres', 'permgate_rbac'));
  const redis = await startPrivateRedis();
  const upstream = await startProcessUpstream();
  const config = fleetConfig({ redis: redis.url, upstream: upstream.url, server: SERVER, routes: ROUTES, extra: EXTRA });
  const fleet = await startFleet(config, { env: { RBAC_DATABASE_URL: db.url } });
  // Registered after db.drop, so run before it: the fleet's sessions end before the database is dropped.
  t.teardown(async () => {
    await fleet.close();
    await upstream.close();
    await redis.close();
  });
  const pids = new Set(fleet.workers());
  t.equal(pids.size, 2, 'two workers serve');

  await t.test('both workers serve decisions read from SQL, each on a LISTEN connection of its own', async (t) => {
    for (const pid of pids) await fleet.waitForLine((line) => line.msg === 'RBAC SQL source current' && line.worker === pid);
    t.pass('each worker logged its SQL source current');
    const listening = await db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = '${db.name}' AND query = 'LISTEN "permgate_rbac"'`);
    t.equal(listening[0]!['n'], 3, 'three LISTEN sessions on the database: each worker and the primary (its admin API)');
    // Each pair caches the subject's decision on both workers, so what follows proves invalidation, not a cold read.
    const cases: [string, string, number, string][] = [
      ['han_meimei', '/biz/order/list', 200, 'sales holds the order menu'],
      ['han_meimei', '/system/user/list', 403, 'sales does not hold the user menu'],
      ['li_lei', '/system/user/list', 200, 'hr holds the user menu'],
      ['han_xue', '/biz/asset/list', 403, 'hr does not hold the asset menu'],
    ];
    for (const [sub, prefix, expected, why] of cases) {
      const seen = await sweep(fleet, sub, prefix);
      t.same(seen.statuses, Array(12).fill(expected), `${sub} ${prefix}: ${expected} on every fresh connection (${why})`);
      t.same(seen.workers, pids, `${sub} ${prefix}: answered by both workers`);
    }
  });

  await t.test("a role's permission deleted in SQL is refused by every worker within the bound", async (t) => {
    await db.query('DELETE FROM sys_role_menu WHERE role_id = 100 AND menu_id = 2001');
    const since = performance.now();
    const c = await untilEveryWorker(fleet, 'han_meimei', '/biz/order/list', 403, since);
    t.ok(c.took < BOUND, `sales loses biz:order:list: refused on every fresh connection ${describe(c)}`);
    t.same(c.workers, pids, 'the refusals came from both workers');
  });

  await t.test("a subject's role binding deleted in SQL is refused by every worker within the bound", async (t) => {
    await db.query('DELETE FROM sys_user_role WHERE user_id = 100 AND role_id = 101');
    const since = performance.now();
    const c = await untilEveryWorker(fleet, 'li_lei', '/system/user/list', 403, since);
    t.ok(c.took < BOUND, `li_lei unbound from hr: refused on every fresh connection ${describe(c)}`);
    t.same(c.workers, pids, 'the refusals came from both workers');
  });

  await t.test('a permission granted in SQL is allowed by every worker within the bound', async (t) => {
    await db.query('INSERT INTO sys_role_menu (role_id, menu_id) VALUES (101, 2129)');
    let since = performance.now();
    const role = await untilEveryWorker(fleet, 'han_xue', '/biz/asset/list', 200, since);
    t.ok(role.took < BOUND, `hr gains biz:asset:list: allowed on every fresh connection ${describe(role)}`);
    t.same(role.workers, pids, 'the answers came from both workers');

    await db.query('INSERT INTO sys_user_role (user_id, role_id) VALUES (101, 101)');
    since = performance.now();
    const binding = await untilEveryWorker(fleet, 'han_meimei', '/system/user/list', 200, since);
    t.ok(binding.took < BOUND, `han_meimei bound to hr: allowed on every fresh connection ${describe(binding)}`);
    t.same(binding.workers, pids, 'the answers came from both workers');
  });

  await t.test('only the NOTIFY carried the changes: no worker needed the version check', async (t) => {
    const metrics = await (await fetch(`${fleet.adminUrl}/metrics`)).text();
    t.notMatch(metrics, /permgate_rbac_resyncs_total\{reason="version check"\} [1-9]/);
    t.match(metrics, /permgate_rbac_source_up\{source="sql"\} 3/, 'the source is current in the primary and both workers (gauges summed)');
  });
});
