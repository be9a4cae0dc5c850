// Micro-benchmark: the RBAC engine at scale — 100,000 subjects, 1,000 roles, 1,000,000 grants in total.
// Measures what the design promises and what it costs: a cached decision is a walk of a few tries (one pair per bound
// role, shared by its holders, and one for direct grants) whatever the size of the policy (decisions/s and ns per decision over a mix of allowed and refused codes across many subjects, with 40, 1,000
// and RBAC_BENCH_CACHED subjects compiled, which shows how much the size of the compiled set itself costs, and once
// more at that size with the subjects asking by Zipf's law, as real traffic does, rather than uniformly); the heap
// the policy, the stored subjects and each compiled subject take; and a cache miss — one store read plus compiling
// the subject's grants — on the embedded store and, when redis-server is installed, on a private Redis.
//
// Everything is generated from a seeded PRNG, so every run builds the same policy and asks the same questions.
// Environment: RBAC_BENCH_CACHED (compiled subjects held at the end, default 100,000), RBAC_BENCH_MISSES (cache
// misses sampled per store, default 1,000).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PerformanceObserver, performance, type PerformanceEntry } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { defaultRbac } from '../src/config/validate-rbac.js';
import type { RbacConfig } from '../src/config/rbac-types.js';
import type { Identity } from '../src/auth/identity.js';
import type { AuthorizationRequest } from '../src/rbac/authorizer.js';
import type { Decision } from '../src/rbac/compile.js';
import type { RoleDefinition, RoleBinding, SubjectRecord } from '../src/rbac/model.js';
import { RbacAuthorizer } from '../src/rbac/rbac-authorizer.js';
import type { RbacStore } from '../src/rbac/rbac-store.js';
import { RoleGraph } from '../src/rbac/role-graph.js';
import { collectSources } from '../src/rbac/sources.js';
import type { PermissionCode } from '../src/routing/permission-template.js';
import { MemoryRbacStore } from '../src/stores/memory/memory-rbac-store.js';
import { RedisRbacStore } from '../src/stores/redis/redis-rbac-store.js';
import { REPO_ROOT, startRedis } from './contenders.js';

const SUBJECTS = 100_000;
const ROLES = 1_000;
const GRANTS_PER_ROLE = 900; // 900 × 1,000 roles = 900,000 role grants
const DIRECT_GRANTS_PER_SUBJECT = 1; // 1 × 100,000 subjects = 100,000 direct grants
const CHAINED_ROLES = 300; // r0..r299: 100 chains r3k ← r3k+1 ← r3k+2 (each inherits the previous one)
const DENYING_ROLE_EVERY = 10; // every 10th role also denies 10 patterns (1 of them a wildcard)
const DENIES_PER_DENYING_ROLE = 10;
const MODULES = 100;
const ACTIONS = ['read', 'list', 'write', 'delete', 'approve'] as const;
const IDS = 100_000;
const TENANTS = 50;
const REQUESTS_PER_SUBJECT = 8;
const CACHED = Number(process.env.RBAC_BENCH_CACHED ?? 100_000);
const CACHED_FIRST_STEP = Math.min(1_000, Math.floor(CACHED / 4));
const SMALL_STEP = Math.min(40, CACHED_FIRST_STEP); // a compiled set that fits in the CPU caches, for comparison
const MISS_SAMPLES = Number(process.env.RBAC_BENCH_MISSES ?? 1_000);
const MISS_WARMUP = 100;
const HIT_WARMUP = 300_000;
const HIT_ROUND = 1_000_000;
const HIT_ROUNDS = 5;

const out = (text: string): void => void process.stdout.write(text);
const gc = (globalThis as { gc?: () => void }).gc;

/** Heap in use after a full collection (two: the first may leave weak/finalizable garbage). */
function heapUsed(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

/** mulberry32: small, fast, seeded; enough to make runs repeatable. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const int = (rng: () => number, n: number): number => Math.floor(rng() * n);
const pick = <T>(rng: () => number, list: readonly T[]): T => list[int(rng, list.length)]!;
const concrete = (rng: () => number, module: number): string => `m${module}:${pick(rng, ACTIONS)}:${int(rng, IDS)}`;

// ---- the policy ----------------------------------------------------------------------------------------------------

/** Role r: 900 grants over 4 home modules, 10 % of them wildcards (`m4:read:*`, `m4:*:123`); some chained, some deny. */
function role(r: number): RoleDefinition {
  const rng = prng(0x5eed0000 + r);
  const home = [0, 1, 2, 3].map(() => int(rng, MODULES));
  const grants: string[] = [];
  for (let j = 0; j < GRANTS_PER_ROLE; j++) {
    const module = pick(rng, home);
    if (j % 20 === 0) grants.push(`m${module}:${rng() < 0.5 ? 'read' : 'list'}:*`);
    else if (j % 20 === 10) grants.push(`m${module}:*:${int(rng, IDS)}`);
    else grants.push(concrete(rng, module));
  }
  const denies: string[] = [];
  if (r % DENYING_ROLE_EVERY === 0) {
    denies.push(`m${pick(rng, home)}:approve:*`);
    // Concrete denies on codes the role itself grants: a deny beats a grant.
    while (denies.length < DENIES_PER_DENYING_ROLE) {
      const code = grants[int(rng, grants.length)]!;
      if (!code.includes('*')) denies.push(code);
    }
  }
  const inherits = r < CHAINED_ROLES && r % 3 !== 0 ? [`r${r - 1}`] : [];
  return { name: `r${r}`, grants, denies, inherits };
}

interface SubjectFixture {
  readonly name: string;
  readonly tenant: string;
  readonly record: SubjectRecord;
}

/** Subject i: 2–5 role bindings (15 % limited to its own tenant, 5 % to another one) and one direct grant. */
function subject(i: number): SubjectFixture {
  const rng = prng(0xa11ce000 + i);
  const tenant = `t${int(rng, TENANTS)}`;
  const roles: RoleBinding[] = [];
  const count = 2 + int(rng, 4);
  for (let k = 0; k < count; k++) {
    const name = `r${int(rng, ROLES)}`;
    const scope = rng();
    if (scope < 0.15) roles.push({ role: name, tenant });
    else if (scope < 0.2) roles.push({ role: name, tenant: `t${(Number(tenant.slice(1)) + 1) % TENANTS}` });
    else roles.push({ role: name });
  }
  const grants = Array.from({ length: DIRECT_GRANTS_PER_SUBJECT }, () => ({ code: concrete(rng, int(rng, MODULES)) }));
  return { name: `u${i}`, tenant, record: { roles, grants, denies: [] } };
}

/** A concrete code a pattern covers. */
function instantiate(rng: () => number, pattern: string): string {
  return pattern
    .split(':')
    .map((part, i) => (part !== '*' ? part : i === 1 ? pick(rng, ACTIONS) : String(int(rng, IDS))))
    .join(':');
}

/**
 * The questions asked about one subject, in the proportions of a gateway that mostly lets callers through: codes
 * from its roles (held or not in this tenant) and its direct grant, codes it was denied, unrelated codes, and
 * two-code checks in both modes. What each really decides is counted during the run, not assumed.
 */
function requests(fixture: SubjectFixture, graph: RoleGraph, identity: Identity, rng: () => number): AuthorizationRequest[] {
  const bound = fixture.record.roles.flatMap((b) => graph.expand(b.role));
  const fromRoles = (): string => {
    const r = graph.roles.get(pick(rng, bound))!;
    return instantiate(rng, pick(rng, r.grants));
  };
  const denied = (): string => {
    const denying = bound.map((name) => graph.roles.get(name)!).filter((r) => r.denies.length > 0);
    return denying.length > 0 ? instantiate(rng, pick(rng, pick(rng, denying).denies)) : concrete(rng, int(rng, MODULES));
  };
  const direct = fixture.record.grants[0]!.code;
  const unrelated = (): string => concrete(rng, int(rng, MODULES));
  const codes: [string[], 'all' | 'any'][] = [
    [[fromRoles()], 'all'],
    [[fromRoles()], 'all'],
    [[fromRoles()], 'all'],
    [[direct], 'all'],
    [[unrelated()], 'all'],
    [[denied()], 'all'],
    [[fromRoles(), fromRoles()], 'all'],
    [[unrelated(), fromRoles()], 'any'],
  ];
  return codes.map(([list, mode]) => ({ identity, tenant: identity.tenant, codes: list as PermissionCode[], mode, sensitive: false }));
}

// ---- measurements --------------------------------------------------------------------------------------------------

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

interface Timing {
  readonly samples: number;
  readonly medianUs: number;
  readonly p99Us: number;
  readonly meanUs: number;
}

function timing(ns: number[]): Timing {
  const us = ns.map((n) => n / 1_000).sort((a, b) => a - b);
  return { samples: us.length, medianUs: quantile(us, 0.5), p99Us: quantile(us, 0.99), meanUs: us.reduce((a, b) => a + b, 0) / us.length };
}

interface MissCost {
  /**
   * authorize() on an evicted subject until its Decision: store read + JSON.parse + collect + compile + decide, on a
   * fresh authorizer, so the first holder of each role also compiles that role (once per role and role change).
   */
  readonly loadAndCompile: Timing;
  /** The same subjects again: their roles are compiled now, so a miss is the read and the subject's own part. */
  readonly loadWarmRoles: Timing;
  /** store.loadSubject() alone, on the same subjects. */
  readonly storeRead: Timing;
}

/** Misses on subjects outside the cached set; each is evicted again, so the cache does not grow. */
async function missCost(authorizer: RbacAuthorizer, store: RbacStore, sample: readonly AuthorizationRequest[]): Promise<MissCost> {
  const evict = (name: string): void => authorizer.apply({ kind: 'subject', name, version: 0 });
  const pass = async (): Promise<number[]> => {
    const ns: number[] = [];
    for (let i = 0; i < sample.length; i++) {
      const request = sample[i]!;
      evict(request.identity.subject);
      const started = process.hrtime.bigint();
      const decision = authorizer.authorize(request);
      if (!('then' in decision)) throw new Error(`expected a cache miss for ${request.identity.subject}`);
      await decision;
      const elapsed = Number(process.hrtime.bigint() - started);
      evict(request.identity.subject);
      if (i >= MISS_WARMUP) ns.push(elapsed);
    }
    return ns;
  };
  const compileNs = await pass();
  const warmNs = await pass();
  const readNs: number[] = [];
  for (let i = 0; i < sample.length; i++) {
    const started = process.hrtime.bigint();
    await store.loadSubject(sample[i]!.identity.subject);
    const elapsed = Number(process.hrtime.bigint() - started);
    if (i >= MISS_WARMUP) readNs.push(elapsed);
  }
  return { loadAndCompile: timing(compileNs), loadWarmRoles: timing(warmNs), storeRead: timing(readNs) };
}

interface HitRun {
  readonly nsPerDecision: number;
  /** Garbage collection inside the timed loop, as a share of its time. */
  gcShare: number;
  readonly allowed: number;
  readonly missing: number;
  readonly denied: number;
  readonly misses: number;
}

interface HitStep {
  readonly subjects: number;
  /** Which subject each request comes from: uniformly at random, or by Zipf's law. */
  readonly traffic: 'uniform' | 'zipf';
  /** Heap held by the compiled subjects (after gc, against the empty cache). */
  readonly heap: number;
  readonly rounds: readonly HitRun[];
  readonly median: HitRun;
  readonly outcome: { allowed: number; missing: number; denied: number };
  readonly misses: number;
  /** ns per request of `harness` on the same order (median of the rounds). */
  readonly harnessNs: number;
}

function hits(authorizer: RbacAuthorizer, all: readonly AuthorizationRequest[], order: Int32Array, n: number): HitRun {
  const mask = order.length - 1;
  let allowed = 0;
  let missing = 0;
  let denied = 0;
  let misses = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const decision = authorizer.authorize(all[order[i & mask]!]!);
    if ('then' in decision) misses++;
    else if (decision.allowed) allowed++;
    else if (decision.reason === 'denied') denied++;
    else missing++;
  }
  const elapsed = Number(process.hrtime.bigint() - started);
  return { nsPerDecision: elapsed / n, gcShare: NaN, allowed, missing, denied, misses };
}

/**
 * The loop of `hits` with no engine: it reads what authorize() reads first (the request, its identity and subject,
 * its tenant, its codes) and decides nothing. The fixtures are a heap of their own scattered over memory, so fetching
 * a random one is itself a few cache misses that a gateway, whose request objects were just made, does not pay:
 * this is that share of the ns/decision column, reported beside it rather than hidden in it.
 */
function harness(all: readonly AuthorizationRequest[], order: Int32Array, n: number): { ns: number; sink: number } {
  const mask = order.length - 1;
  let sink = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const request = all[order[i & mask]!]!;
    const code = request.codes[0]!;
    sink += request.identity.subject.charCodeAt(1) + code.charCodeAt(code.length - 1) + (request.tenant === undefined ? 0 : 1);
  }
  return { ns: Number(process.hrtime.bigint() - started) / n, sink };
}

/**
 * `n` request indexes whose subjects follow Zipf's law (s = 1) over `subjects` subjects, ranked in a shuffled order;
 * each request is one of its subject's REQUESTS_PER_SUBJECT at random.
 */
function zipfRequests(rng: () => number, subjects: number, n: number): Int32Array {
  const rank = Int32Array.from({ length: subjects }, (_, i) => i);
  for (let i = subjects - 1; i > 0; i--) {
    const j = int(rng, i + 1);
    [rank[i], rank[j]] = [rank[j]!, rank[i]!];
  }
  const cumulative = new Float64Array(subjects);
  let sum = 0;
  for (let k = 0; k < subjects; k++) cumulative[k] = sum += 1 / (k + 1);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng() * sum;
    let lo = 0;
    let hi = subjects - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    order[i] = rank[lo]! * REQUESTS_PER_SUBJECT + int(rng, REQUESTS_PER_SUBJECT);
  }
  return order;
}

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const row = (cells: readonly string[], widths: readonly number[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ') + '\n';

async function main(): Promise<void> {
  const benchStarted = Date.now();
  if (CACHED > SUBJECTS || CACHED < 4) throw new Error(`RBAC_BENCH_CACHED must be between 4 and ${SUBJECTS}`);
  out(`RBAC at scale: ${fmt(SUBJECTS)} subjects, ${fmt(ROLES)} roles, ${fmt(ROLES * GRANTS_PER_ROLE + SUBJECTS * DIRECT_GRANTS_PER_SUBJECT)} grants\n`);
  out(
    `grants: ${fmt(GRANTS_PER_ROLE)} per role (${fmt(ROLES * GRANTS_PER_ROLE)}; 10 % wildcards such as m4:read:* and m4:*:123, the rest ` +
      `concrete m4:write:123 codes over 4 home modules) + ${DIRECT_GRANTS_PER_SUBJECT} direct grant per subject (${fmt(SUBJECTS * DIRECT_GRANTS_PER_SUBJECT)}); ` +
      `denies: ${DENIES_PER_DENYING_ROLE} in every ${DENYING_ROLE_EVERY}th role (${fmt((ROLES / DENYING_ROLE_EVERY) * DENIES_PER_DENYING_ROLE)}, not counted as grants)\n`,
  );
  out(`roles r0..r${CHAINED_ROLES - 1} form ${CHAINED_ROLES / 3} inheritance chains of 3; each subject has 2–5 role bindings (15 % in its own tenant, 5 % in another)\n`);
  if (gc === undefined) out('warning: global.gc is not exposed (run node with --expose-gc); heap figures include garbage\n');

  // -- policy and store --
  const heapStart = heapUsed();
  const roles = new Map<string, RoleDefinition>();
  for (let r = 0; r < ROLES; r++) roles.set(`r${r}`, role(r));
  const config: RbacConfig = { ...defaultRbac(), cacheSize: 100_000, policy: { roles, subjects: new Map() } };
  const heapRoles = heapUsed();

  const store = new MemoryRbacStore();
  for (let i = 0; i < SUBJECTS; i++) {
    const s = subject(i);
    if (!(await store.writeSubject(s.name, '', s.record))) throw new Error(`${s.name} was written twice`);
  }
  const heapStore = heapUsed();

  let misses = 0;
  // The gateway counts hits and misses in prom-client here; a plain counter keeps the callback without that cost.
  const authorizer = new RbacAuthorizer(config, store, { onCache: (result) => void (result === 'miss' && misses++) });
  await authorizer.start();
  const heapAuthorizer = heapUsed(); // the role graph (closures, holders) and an empty LRU
  const graph = authorizer.graph;

  // -- fixtures: the cached subjects are u0..u(CACHED-1); misses are sampled from the others --
  const rng = prng(0xbe7c4);
  const fixtures: AuthorizationRequest[] = [];
  const identities: Identity[] = [];
  const patternCounts: number[] = [];
  for (let i = 0; i < CACHED; i++) {
    const s = subject(i);
    const identity: Identity = { subject: s.name, roles: [], tenant: s.tenant, scopes: [] };
    identities.push(identity);
    fixtures.push(...requests(s, graph, identity, rng));
  }
  const missSample: AuthorizationRequest[] = [];
  for (let k = 0; k < MISS_SAMPLES + MISS_WARMUP; k++) {
    // Subjects outside the cached set when there are any; otherwise any subject (each is evicted before it is timed).
    const s = subject(CACHED < SUBJECTS ? CACHED + int(rng, SUBJECTS - CACHED) : int(rng, SUBJECTS));
    const identity: Identity = { subject: s.name, roles: [], tenant: s.tenant, scopes: [] };
    const request = pick(rng, requests(s, graph, identity, rng));
    missSample.push(request);
    const collected = collectSources({ subject: s.name, tenant: s.tenant, tokenRoles: [], tokenTenant: s.tenant, tokenScopes: [] }, undefined, s.record, graph, Date.now());
    patternCounts.push(collected.sources.reduce((sum, source) => sum + source.grants.length + source.denies.length, 0));
  }
  patternCounts.sort((a, b) => a - b);
  const patterns = { mean: patternCounts.reduce((a, b) => a + b, 0) / patternCounts.length, median: quantile(patternCounts, 0.5), max: patternCounts.at(-1)! };

  // -- 3. cache misses on the embedded store --
  const missMemory = await missCost(authorizer, store, missSample);

  // -- 1 and 2. fill the cache in steps; at each, the heap it holds and decisions on hits over the subjects it holds --
  const gcEntries: PerformanceEntry[] = [];
  const gcObserver = new PerformanceObserver((list) => void gcEntries.push(...list.getEntries()));
  gcObserver.observe({ entryTypes: ['gc'] });
  const heapEmptyCache = heapUsed();
  let filled = 0;
  let fillNs = 0;
  const steps: HitStep[] = [];
  const timeRounds = async (order: Int32Array, target: number, heap: number, traffic: 'uniform' | 'zipf'): Promise<HitStep> => {
    misses = 0;
    hits(authorizer, fixtures, order, HIT_WARMUP); // warm-up: let the JIT settle before timing
    const rounds: HitRun[] = [];
    const harnessRounds: number[] = [];
    harness(fixtures, order, HIT_WARMUP);
    for (let r = 0; r < HIT_ROUNDS; r++) harnessRounds.push(harness(fixtures, order, HIT_ROUND).ns);
    harnessRounds.sort((a, b) => a - b);
    for (let r = 0; r < HIT_ROUNDS; r++) {
      const shift = int(rng, order.length);
      const rotated = new Int32Array(order.length);
      for (let i = 0; i < order.length; i++) rotated[i] = order[(i + shift) % order.length]!;
      const from = performance.now();
      const run = hits(authorizer, fixtures, rotated, HIT_ROUND);
      const to = performance.now();
      await nextTurn(); // GC entries are delivered after the synchronous loop
      await nextTurn();
      const gcMs = gcEntries.filter((e) => e.startTime >= from && e.startTime <= to).reduce((sum, e) => sum + e.duration, 0);
      run.gcShare = gcMs / (to - from);
      rounds.push(run);
    }
    const byTime = [...rounds].sort((a, b) => a.nsPerDecision - b.nsPerDecision);
    const outcome = rounds.reduce((a, r) => ({ allowed: a.allowed + r.allowed, missing: a.missing + r.missing, denied: a.denied + r.denied }), { allowed: 0, missing: 0, denied: 0 });
    return { subjects: target, traffic, heap, rounds, median: byTime[Math.floor(byTime.length / 2)]!, outcome, misses, harnessNs: harnessRounds[Math.floor(HIT_ROUNDS / 2)]! };
  };
  for (const target of [...new Set([SMALL_STEP, CACHED_FIRST_STEP, CACHED])].filter((n) => n <= CACHED).sort((a, b) => a - b)) {
    const fillStarted = process.hrtime.bigint();
    for (; filled < target; filled++) {
      const decision = authorizer.authorize(fixtures[filled * REQUESTS_PER_SUBJECT]!);
      if ('then' in decision) await decision;
    }
    fillNs += Number(process.hrtime.bigint() - fillStarted);
    const heap = heapUsed() - heapEmptyCache;
    const requestsHeld = target * REQUESTS_PER_SUBJECT;
    const order = new Int32Array(1 << 20);
    for (let i = 0; i < order.length; i++) order[i] = int(rng, requestsHeld);
    steps.push(await timeRounds(order, target, heap, 'uniform'));
  }
  // Real traffic is skewed: the same subjects over Zipf's law (s = 1; the most active 1 % of subjects send about 60 % of
  // the requests), the popular ones scattered over the cache rather than compiled first.
  const zipfOrder = zipfRequests(rng, CACHED, 1 << 20);
  steps.push(await timeRounds(zipfOrder, CACHED, steps.at(-1)!.heap, 'zipf'));
  gcObserver.disconnect();
  const fillSeconds = fillNs / 1e9;
  const first = steps.find((st) => st.subjects === CACHED_FIRST_STEP)!;
  const full = steps.findLast((st) => st.traffic === 'uniform')!;
  const perCompiled = (full.heap - first.heap) / (CACHED - CACHED_FIRST_STEP);
  const rss = process.memoryUsage().rss;

  // -- 4. a role change: the graph that replaces this one, and indexing every role again as subjects are recompiled --
  const changed = new Map(roles);
  const r1 = roles.get('r1')!;
  changed.set('r1', { ...r1, grants: [...r1.grants, 'm1:write:1'] });
  const names = [...roles.keys()];
  const roleChange = (carry: boolean): { graphMs: number; reindexMs: number } => {
    const started = performance.now();
    const next = new RoleGraph(changed, carry ? graph : undefined);
    const built = performance.now();
    next.heldIds(names);
    return { graphMs: built - started, reindexMs: performance.now() - built };
  };
  const roleChangeFresh = roleChange(false);
  const roleChangeCarried = roleChange(true);

  // Drop every compiled subject, so the Redis misses below are not timed against a heap gigabytes larger (major GCs).
  authorizer.apply({ kind: 'resync', reason: 'bench: done with the embedded store' });
  await authorizer.close();
  heapUsed();

  // -- 3b. cache misses on a private Redis --
  let redisResult:
    | { missCost: MissCost; loadSeconds: number; usedMemoryBytes: number; subjects: number }
    | { skipped: string };
  const redis = await startRedis();
  if (redis === undefined) redisResult = { skipped: 'redis-server is not on PATH' };
  else {
    const client = new Redis(redis.url);
    try {
      const usedMemory = async (): Promise<number> => Number(/used_memory:(\d+)/.exec(await client.info('memory'))?.[1] ?? NaN);
      const before = await usedMemory();
      const loader = new RedisRbacStore(client, { syncInterval: 1_000 });
      const loadStarted = process.hrtime.bigint();
      for (let from = 0; from < SUBJECTS; from += 1_000) {
        const batch: Promise<boolean>[] = [];
        for (let i = from; i < Math.min(SUBJECTS, from + 1_000); i++) {
          const s = subject(i);
          batch.push(loader.writeSubject(s.name, '', s.record));
        }
        if ((await Promise.all(batch)).includes(false)) throw new Error('a subject was written twice');
      }
      const loadSeconds = Number(process.hrtime.bigint() - loadStarted) / 1e9;
      await loader.close();
      const usedMemoryBytes = (await usedMemory()) - before;
      const subjects = await client.scard('{permgate:rbac}:subject-index');
      const redisStore = new RedisRbacStore(client, { syncInterval: 1_000 });
      const onRedis = new RbacAuthorizer(config, redisStore);
      await onRedis.start();
      if (!onRedis.isCurrent()) throw new Error('the Redis store did not become current');
      const cost = await missCost(onRedis, redisStore, missSample);
      await onRedis.close();
      redisResult = { missCost: cost, loadSeconds, usedMemoryBytes, subjects };
    } finally {
      client.disconnect();
      await redis.stop();
    }
  }

  // -- report --
  const hitCounts = full.outcome;
  const total = hitCounts.allowed + hitCounts.missing + hitCounts.denied;
  const pct = (n: number): string => `${((100 * n) / total).toFixed(1)} %`;
  const hitMisses = steps.reduce((sum, st) => sum + st.misses, 0);
  out(`\ndecisions on cache hits: the first N subjects compiled, ${REQUESTS_PER_SUBJECT} requests each, random order; ${HIT_ROUNDS} rounds of ${fmt(HIT_ROUND)} after ${fmt(HIT_WARMUP)} warm-up; median round\n`);
  out(`outcome (N = ${fmt(CACHED)}): ${pct(hitCounts.allowed)} allowed, ${pct(hitCounts.missing)} missing, ${pct(hitCounts.denied)} denied; cache misses during the hit runs: ${hitMisses}\n`);
  let w: number[];
  w = [22, 16, 14, 14, 18, 8, 12, 16];
  out(row(['compiled subjects N', 'compiled heap', 'ns/decision', 'decisions/s', 'rounds, ns', 'in GC', 'harness ns', 'net decisions/s'], w));
  for (const st of steps) {
    const ns = st.rounds.map((r) => r.nsPerDecision);
    const net = st.median.nsPerDecision - st.harnessNs;
    out(
      row(
        [
          st.traffic === 'zipf' ? `${fmt(st.subjects)}, Zipf` : fmt(st.subjects),
          mb(st.heap),
          fmt(st.median.nsPerDecision),
          fmt(1e9 / st.median.nsPerDecision),
          `${fmt(Math.min(...ns))}–${fmt(Math.max(...ns))}`,
          `${(100 * st.median.gcShare).toFixed(1)} %`,
          fmt(st.harnessNs),
          fmt(1e9 / net),
        ],
        w,
      ),
    );
  }
  out('harness ns: the same loop reading each request (subject, tenant, code) and deciding nothing; net: ns/decision less that\n');

  out(`\nheap (heapUsed after gc)\n`);
  w = [46, 14];
  out(row(['1,000 roles in the config policy', mb(heapRoles - heapStart)], w));
  out(row(['100,000 subjects in MemoryRbacStore (JSON text)', mb(heapStore - heapRoles)], w));
  out(row(['authorizer: role graph + empty LRU', mb(heapAuthorizer - heapStore)], w));
  out(row(['roles indexed by the miss sample (shared by all holders)', mb(heapEmptyCache - heapAuthorizer)], w));
  out(row([`compiled cache, ${fmt(CACHED)} subjects`, mb(full.heap)], w));
  out(row(['  per compiled subject', kb(perCompiled)], w));
  out(row(['  projected for 100,000 compiled subjects', mb(perCompiled * 100_000)], w));
  out(row(['rss at the end of the fill', mb(rss)], w));
  out(`patterns a subject holds through its roles and grants (sampled; role tries are shared, not copied): mean ${fmt(patterns.mean)}, median ${fmt(patterns.median)}, max ${fmt(patterns.max)}\n`);
  out(`cache fill: ${fmt(CACHED)} subjects in ${fillSeconds.toFixed(1)} s (${fmt((fillSeconds * 1e6) / CACHED)} µs each)\n`);
  out(
    `a role change (r1 gains a grant): the new graph in ${roleChangeCarried.graphMs.toFixed(1)} ms; every role indexed again for it in ` +
      `${roleChangeCarried.reindexMs.toFixed(1)} ms with the index carried over (only r1 is), ${roleChangeFresh.reindexMs.toFixed(0)} ms from scratch\n`,
  );

  out(`\ncache miss: authorize() on an evicted subject until its decision (${fmt(MISS_SAMPLES)} subjects after ${MISS_WARMUP} warm-up), µs\n`);
  w = [34, 10, 10, 10];
  out(row(['', 'median', 'p99', 'mean'], w));
  const missRows = (label: string, cost: MissCost): void => {
    out(row([`${label}: load + compile, roles cold`, fmt(cost.loadAndCompile.medianUs, 1), fmt(cost.loadAndCompile.p99Us, 1), fmt(cost.loadAndCompile.meanUs, 1)], w));
    out(row([`${label}: load + compile, roles warm`, fmt(cost.loadWarmRoles.medianUs, 1), fmt(cost.loadWarmRoles.p99Us, 1), fmt(cost.loadWarmRoles.meanUs, 1)], w));
    out(row([`${label}: store read only`, fmt(cost.storeRead.medianUs, 1), fmt(cost.storeRead.p99Us, 1), fmt(cost.storeRead.meanUs, 1)], w));
  };
  missRows('memory', missMemory);
  if ('skipped' in redisResult) out(`redis: skipped (${redisResult.skipped})\n`);
  else {
    missRows('redis', redisResult.missCost);
    out(
      `redis: ${fmt(redisResult.subjects)} subjects written in ${redisResult.loadSeconds.toFixed(1)} s (batches of 1,000 concurrent writes); ` +
        `used_memory grew by ${mb(redisResult.usedMemoryBytes)}\n`,
    );
  }
  const seconds = (Date.now() - benchStarted) / 1e3;
  out(`\ntotal: ${seconds.toFixed(0)} s\n`);

  const json = {
    date: new Date().toISOString(),
    node: process.version,
    scale: {
      subjects: SUBJECTS,
      roles: ROLES,
      grants: ROLES * GRANTS_PER_ROLE + SUBJECTS * DIRECT_GRANTS_PER_SUBJECT,
      roleGrants: ROLES * GRANTS_PER_ROLE,
      directGrants: SUBJECTS * DIRECT_GRANTS_PER_SUBJECT,
      denies: (ROLES / DENYING_ROLE_EVERY) * DENIES_PER_DENYING_ROLE,
      chainedRoles: CHAINED_ROLES,
      patternsPerCompiledSubject: patterns,
    },
    hits: {
      requestsPerSubject: REQUESTS_PER_SUBJECT,
      cacheMisses: hitMisses,
      steps: steps.map((st) => ({
        compiledSubjects: st.subjects,
        traffic: st.traffic,
        compiledHeapBytes: st.heap,
        nsPerDecision: st.median.nsPerDecision,
        decisionsPerSecond: 1e9 / st.median.nsPerDecision,
        harnessNsPerRequest: st.harnessNs,
        netDecisionsPerSecond: 1e9 / (st.median.nsPerDecision - st.harnessNs),
        rounds: st.rounds.map((r) => ({ nsPerDecision: r.nsPerDecision, gcShare: r.gcShare })),
        outcome: st.outcome,
      })),
    },
    heapBytes: {
      gcExposed: gc !== undefined,
      roles: heapRoles - heapStart,
      storeSubjects: heapStore - heapRoles,
      authorizer: heapAuthorizer - heapStore,
      compiledCache: full.heap,
      compiledSubjects: CACHED,
      perCompiledSubject: perCompiled,
      projected100kCompiled: perCompiled * 100_000,
      rss,
    },
    fillSeconds,
    roleChange: { fresh: roleChangeFresh, carried: roleChangeCarried },
    miss: { memory: missMemory, redis: redisResult },
    seconds,
  };
  const dir = join(REPO_ROOT, 'bench/results');
  await mkdir(dir, { recursive: true });
  // As bench/run.ts does: the folder's own .gitignore keeps results out of commits.
  await writeFile(join(dir, '.gitignore'), '*\n!.gitignore\n');
  await writeFile(join(dir, 'rbac.json'), JSON.stringify(json, null, 2) + '\n');
  out('written: bench/results/rbac.json\n');
}

await main();
