// `npm run bench:grant-usage`: what recording grant use (the least-privilege report, issue 14) costs at 100,000
// subjects: the recorder's memory per subject in the gateway process (what it keeps to write each (subject, grant)
// once a day), Redis's memory per subject for the last-used days, and how long one flush of every subject takes.
// Each subject is allowed 3 codes a day, covered by 2 role grants and 1 direct grant (3 grants), and, in a second run,
// 10 codes and grants.
import { Redis } from 'ioredis';
import { GrantUsageRecorder } from '../src/privilege/grant-usage-recorder.js';
import type { GrantUsageStore } from '../src/privilege/grant-usage-store.js';
import type { PermissionSource } from '../src/rbac/sources.js';
import { RedisGrantUsage } from '../src/stores/redis/redis-grant-usage.js';
import { startRedis } from './contenders.js';

const SUBJECTS = 100_000;
const DAY = 86_400_000;

function heap(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

function policy(grants: number): { codes: string[]; sources: PermissionSource[] } {
  const codes = Array.from({ length: grants }, (_, i) => `app${i}:read`);
  const roleCodes = codes.slice(0, grants - 1);
  return {
    codes,
    sources: [
      { via: 'role clerk', grants: roleCodes, denies: [], holder: { kind: 'role', role: 'clerk' } },
      { via: 'direct grant', grants: [codes[grants - 1]!], denies: [], holder: { kind: 'direct', tenant: undefined } },
    ],
  };
}

async function recorderBytes(grants: number): Promise<number> {
  const written: number[] = [];
  const sink: GrantUsageStore = {
    async record(uses) {
      written.push(uses.length);
    },
    subjectUsage: async () => new Map(),
    roleUsage: async () => new Map(),
    since: async () => undefined,
  };
  const before = heap();
  const recorder = new GrantUsageRecorder(sink, { flushInterval: 3_600_000, maxSubjects: SUBJECTS, maxPending: 1_000_000 });
  const { codes, sources } = policy(grants);
  const now = Date.now();
  for (let s = 0; s < SUBJECTS; s++) {
    const subject = `user-${s}@example.com`;
    for (const code of codes) if (recorder.wants(subject, [code], now)) recorder.record(subject, [code], sources, undefined, now);
  }
  await recorder.flush();
  const after = heap();
  await recorder.close();
  return (after - before) / SUBJECTS;
}

async function redisBytes(url: string, grants: number): Promise<{ perSubject: number; flushMs: number; secondDayGrowth: number; sampleKey: number }> {
  const client = new Redis(url);
  await client.flushall();
  const used = async (): Promise<number> => Number(/used_memory:(\d+)/.exec(await client.info('memory'))![1]);
  const store = new RedisGrantUsage(client);
  const { codes } = policy(grants);
  const keys = codes.map((code, i) => (i < grants - 1 ? `role:clerk ${code}` : `direct ${code}`));
  const day = Math.floor(Date.now() / DAY);
  const uses = (d: number) => Array.from({ length: SUBJECTS }, (_, s) => keys.map((grant) => ({ subject: `user-${s}@example.com`, grant, day: d }))).flat();
  const roleUses = keys.filter((k) => k.startsWith('role:')).map((grant) => ({ grant, day }));
  const before = await used();
  const started = performance.now();
  await store.record(uses(day), roleUses);
  const flushMs = performance.now() - started;
  const after = await used();
  await store.record(uses(day + 1), roleUses.map((u) => ({ ...u, day: day + 1 })));
  const secondDay = await used();
  const sampleKey = Number(await client.call('MEMORY', 'USAGE', 'permgate:usage:subject:{user-42@example.com}'));
  client.disconnect();
  return { perSubject: (after - before) / SUBJECTS, flushMs, secondDayGrowth: secondDay - after, sampleKey };
}

const redis = await startRedis();
try {
  for (const grants of [3, 10]) {
    const inProcess = await recorderBytes(grants);
    const line = [`${SUBJECTS.toLocaleString('en')} subjects x ${grants} grants/day:`, `recorder ${Math.round(inProcess)} B/subject in the gateway process`];
    if (redis !== undefined) {
      const r = await redisBytes(redis.url, grants);
      line.push(`Redis ${Math.round(r.perSubject)} B/subject (MEMORY USAGE of one key: ${r.sampleKey} B)`, `one flush of every subject ${Math.round(r.flushMs)} ms`, `a second day's writes grow Redis by ${r.secondDayGrowth} B`);
    } else line.push('Redis: redis-server not found');
    console.log(line.join('; '));
  }
} finally {
  await redis?.stop();
}
