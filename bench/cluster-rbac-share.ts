// Issue 12, "Cluster keys", for RBAC: how a 3-master Redis Cluster shares the cache-miss reads of many subjects. Seeds
// distinct subjects through the store's own write path (intent, compare-and-set, announcement), then loads every one
// of them as the RBAC engine does on a cache miss (RedisRbacStore.loadSubject, on the request path's connection), and
// reads each master's INFO commandstats before and after: the busiest master's share of those reads (ideal 33 %; with
// every subject in one hash under one tag, as before issue 12, it was 100 %).
// `npm run bench:cluster-rbac [subjects]` (default 100,000); the numbers are in RESULTS.md.
// test/redis/cluster-rbac-spread.test.ts asserts the share at 10,000 subjects.
import { Redis } from 'ioredis';
import type { SubjectRecord } from '../src/rbac/model.js';
import { RedisStore } from '../src/stores/redis/redis-store.js';
import { startRedisCluster, type RedisClusterTopology } from '../test/helpers/redis-cluster.js';

export interface MasterReads {
  readonly port: number;
  /** GET calls during the reads: one per subject load. */
  readonly gets: number;
  /** Every command the master processed during the reads (the feed's checks included). */
  readonly commands: number;
}

export interface RbacShareReport {
  readonly subjects: number;
  readonly seedSeconds: number;
  readonly readSeconds: number;
  /** Loads that returned the record written for that subject. */
  readonly correct: number;
  readonly masters: readonly MasterReads[];
  /** The busiest master's share of the subject reads (GETs), and of every command during the reads. */
  readonly busiestGetShare: number;
  readonly busiestCommandShare: number;
  /** The master that owns the `{permgate:rbac}` slot (roles, version, announcements) and `{permgate:revocation}`. */
  readonly feedMasters: { readonly rbac: number; readonly revocation: number };
}

const record = (i: number): SubjectRecord => ({ roles: [{ role: `team-${i % 50}` }], grants: [], denies: [] }) as unknown as SubjectRecord;

async function counts(port: number): Promise<{ gets: number; commands: number }> {
  const node = new Redis({ port, host: '127.0.0.1' });
  try {
    const stats = await node.info('commandstats');
    const server = await node.info('stats');
    return {
      gets: Number(/^cmdstat_get:calls=(\d+)/m.exec(stats)?.[1] ?? 0),
      commands: Number(/^total_commands_processed:(\d+)/m.exec(server)?.[1] ?? 0),
    };
  } finally {
    node.disconnect();
  }
}

async function ownerOf(port: number, key: string): Promise<number> {
  const node = new Redis({ port, host: '127.0.0.1' });
  try {
    const slot = (await node.call('CLUSTER', 'KEYSLOT', key)) as number;
    const ranges = (await node.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    return ranges.find(([from, to]) => slot >= from && slot <= to)![2][1];
  } finally {
    node.disconnect();
  }
}

/** Runs `work(i)` for i in [0, n), `concurrency` at a time. */
async function inParallel(n: number, concurrency: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) await work(next++);
  }));
}

/** Seeds `subjects` subjects on `cluster` (a fresh one), then reads each once; per-master counts of the reads. */
export async function measureRbacShare(cluster: RedisClusterTopology, subjects: number): Promise<RbacShareReport> {
  const store = new RedisStore({ cluster: cluster.nodes }, { commandTimeout: 2_000 });
  const rbac = store.rbacStore({ syncInterval: 1_000, now: Date.now });
  try {
    await store.ready(10_000);
    await rbac.start(() => {});
    const name = (i: number): string => `user-${i}`;
    const seedStarted = performance.now();
    await inParallel(subjects, 128, async (i) => {
      if (!(await rbac.writeSubject(name(i), '', record(i)))) throw new Error(`${name(i)} was already there`);
    });
    const seedSeconds = (performance.now() - seedStarted) / 1_000;

    const masters = (await cluster.masters()).map((master) => master.port);
    const before = await Promise.all(masters.map(counts));
    let correct = 0;
    const readStarted = performance.now();
    await inParallel(subjects, 256, async (i) => {
      const loaded = await rbac.loadSubject(name(i));
      if (JSON.stringify(loaded.value) === JSON.stringify(record(i))) correct++;
    });
    const readSeconds = (performance.now() - readStarted) / 1_000;
    const after = await Promise.all(masters.map(counts));

    // The INFO calls themselves count in total_commands_processed: one each (stats read after commandstats).
    const reads = masters.map((port, i) => ({ port, gets: after[i]!.gets - before[i]!.gets, commands: after[i]!.commands - before[i]!.commands - 2 }));
    const share = (pick: (m: MasterReads) => number): number => Math.max(...reads.map(pick)) / reads.reduce((sum, m) => sum + pick(m), 0);
    return {
      subjects,
      seedSeconds,
      readSeconds,
      correct,
      masters: reads,
      busiestGetShare: share((m) => m.gets),
      busiestCommandShare: share((m) => m.commands),
      feedMasters: { rbac: await ownerOf(masters[0]!, '{permgate:rbac}:version'), revocation: await ownerOf(masters[0]!, '{permgate:revocation}:version') },
    };
  } finally {
    await rbac.close();
    await store.close();
  }
}

function percent(x: number): string {
  return `${(x * 100).toFixed(1)} %`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const subjects = Number(process.argv[2] ?? 100_000);
  const cluster = await startRedisCluster();
  try {
    const report = await measureRbacShare(cluster, subjects);
    console.log(`${report.subjects} subjects: seeded through the write path in ${report.seedSeconds.toFixed(1)} s, read in ${report.readSeconds.toFixed(1)} s, ${report.correct} read back as written`);
    console.log('| master | subject reads (GET) | share | all commands | share |');
    console.log('|---|---:|---:|---:|---:|');
    const total = (pick: (m: MasterReads) => number): number => report.masters.reduce((sum, m) => sum + pick(m), 0);
    for (const m of report.masters) {
      const role = [m.port === report.feedMasters.rbac ? '`{permgate:rbac}`' : '', m.port === report.feedMasters.revocation ? '`{permgate:revocation}`' : ''].filter(Boolean).join(', ');
      console.log(`| ${m.port}${role ? ` (${role})` : ''} | ${m.gets} | ${percent(m.gets / total((x) => x.gets))} | ${m.commands} | ${percent(m.commands / total((x) => x.commands))} |`);
    }
    console.log(`busiest master: ${percent(report.busiestGetShare)} of subject reads, ${percent(report.busiestCommandShare)} of all commands`);
  } finally {
    await cluster.close();
  }
}
