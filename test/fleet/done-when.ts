// Issue 12's "done when", one run per Redis topology (done-when-redis/-cluster/-sentinel.test.ts each pass theirs):
// two `permgate start` instances of two workers each on the same store and a real upstream, and in that one run:
// limits exact across the four workers, a revocation and an RBAC change in force on every worker of both within
// 100 ms, one scrape showing the whole process tree, a SIGKILLed worker replaced, a SIGKILLed master costing no
// wrongful allow, and SIGTERM under keep-alive load losing no request.
//
// Which worker answered a request: no response header says so, so every probe has a path of its own and the access
// log (every worker's lines carry its pid as `worker`; refusals are logged unsampled here) maps the path to the pid.
import { Agent, request } from 'node:http';
import { Redis } from 'ioredis';
import type { Test } from 'tap';
import { fresh, startFleet, type FleetProcess } from '../helpers/fleet-process.js';
import { startProcessUpstream } from '../helpers/process-upstream.js';
import { hsAuth, token } from '../helpers/tokens.js';
import { admin, fleetConfig } from './fleet-config.js';

/** What a topology offers the run. */
export interface DoneWhenTopology {
  /** The value of `store.redis`, as YAML. */
  readonly store: string;
  /**
   * SIGKILLs the master holding `key` (a key the gateway wrote; a single Redis has only the one master); resolves
   * once it is dead, with `promoted`: resolves once a master serves that key again.
   */
  killMasterOf(key: string): Promise<{ readonly promoted: Promise<unknown> }>;
  /** A key the store holds whose name matches `pattern` (SCAN syntax), to find the master to kill. */
  keyMatching(pattern: string): Promise<string>;
}

/** The user budget of the run: 200 a day, so the burst (seconds) refills well under one request. */
const BUDGET = 200;
/** A change must be in force on every worker this long after the admin API answered. */
const EVERYWHERE_WITHIN_MS = 100;
/** How long after a change the fleets are probed. */
const PROBE_FOR_MS = 400;
/** The draining instance's server.drainDelay. */
const DRAIN_DELAY = '300ms';

const ROUTES = `  - { path: /api/**, upstream: svc, permission: order:read }
  - { path: /cached/**, upstream: svc, permission: order:read, onStoreDown: allow-cached }
  - { path: /budget/**, upstream: svc, permission: order:read, rateLimit: { user: ${BUDGET}/24h } }
`;
const EXTRA = `${hsAuth({ revocation: '{ syncInterval: 100ms }' })}rbac:
  syncInterval: 100ms
  roles:
    viewer: { grants: [order:read] }
  subjects:
    alice: { roles: [viewer] }
    mallory: { roles: [viewer] }
    trent: { roles: [viewer] }
`;
const SERVER = `  accessLog: true
  logs: { refusalsPerSecond: 1000000 }
`;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const bearer = (jwt: string): Record<string, string> => ({ authorization: `Bearer ${jwt}` });
const ANSWERED = new Set(['request', 'request refused', 'request failed']);

/** The worker pid that answered each path, from the access log of `fleets`. */
function answeredBy(fleets: readonly FleetProcess[]): Map<string, number> {
  const by = new Map<string, number>();
  for (const fleet of fleets) for (const line of fleet.lines()) if (ANSWERED.has(line.msg as string) && typeof line.path === 'string') by.set(line.path, line.worker as number);
  return by;
}

interface Probe {
  readonly path: string;
  /** ms after the change when the request was sent. */
  readonly sentAt: number;
  readonly status: number;
}

/** Sends requests on fresh connections to every fleet (`lanes` at a time each) for `forMs`; paths are unique. */
async function probe(fleets: readonly FleetProcess[], prefix: string, jwt: string, since: number, forMs: number, lanes = 3): Promise<Probe[]> {
  const probes: Probe[] = [];
  let seq = 0;
  await Promise.all(fleets.flatMap((fleet) => Array.from({ length: lanes }, async () => {
    while (performance.now() - since < forMs) {
      const path = `${prefix}-${seq++}`;
      const sentAt = performance.now() - since;
      probes.push({ path, sentAt, status: (await fresh(`${fleet.url}${path}`, { headers: bearer(jwt) })).status });
    }
  })));
  await sleep(150); // the last access-log lines
  return probes;
}

/** Probes until every worker of every fleet answered `expected` at least once (warming its caches); false after 10 s. */
async function everyWorkerAnswers(fleets: readonly FleetProcess[], prefix: string, jwt: string, expected: number): Promise<boolean> {
  const workers = fleets.flatMap((fleet) => fleet.workers());
  const started = performance.now();
  while (performance.now() - started < 10_000) {
    const probes = await probe(fleets, prefix, jwt, performance.now(), 100, 2);
    const by = answeredBy(fleets);
    const good = new Set(probes.filter((p) => p.status === expected).map((p) => by.get(p.path)));
    if (workers.every((pid) => good.has(pid))) return true;
  }
  return false;
}

/**
 * After a change at `since`: per worker, when it last answered something else than `expected` (ms after the change,
 * -1: never), and how many of its answers were sent once the deadline had passed.
 */
async function timeToEveryWorker(t: Test, fleets: readonly FleetProcess[], prefix: string, jwt: string, expected: number, since: number): Promise<void> {
  const probes = await probe(fleets, prefix, jwt, since, PROBE_FOR_MS);
  const by = answeredBy(fleets);
  const workers = fleets.flatMap((fleet) => fleet.workers());
  const perWorker = workers.map((pid) => {
    const mine = probes.filter((p) => by.get(p.path) === pid);
    const wrong = mine.filter((p) => p.status !== expected);
    return { pid, answers: mine.length, late: mine.filter((p) => p.sentAt >= EVERYWHERE_WITHIN_MS).length, lastOther: wrong.length === 0 ? -1 : Math.max(...wrong.map((p) => p.sentAt)), others: [...new Set(wrong.map((p) => p.status))] };
  });
  t.comment(`${prefix}: ${probes.length} probes; per worker: ${perWorker.map((w) => `pid ${w.pid} ${w.answers} answers, last non-${expected} at ${w.lastOther < 0 ? 'never' : `${w.lastOther.toFixed(1)} ms (${w.others.join(',')})`}`).join('; ')}`);
  t.equal(workers.length, 4, 'four workers serve');
  t.equal(probes.filter((p) => !by.has(p.path)).length, 0, 'every probe is attributed to a worker by the access log');
  for (const w of perWorker) {
    t.ok(w.late > 0, `worker ${w.pid} was probed after the ${EVERYWHERE_WITHIN_MS} ms deadline (${w.late} times)`);
    t.ok(w.lastOther < EVERYWHERE_WITHIN_MS, `worker ${w.pid} answers ${expected} from ${Math.max(0, w.lastOther).toFixed(1)} ms after the change on`);
  }
}

/** The whole run on one topology. */
export async function doneWhen(t: Test, topology: DoneWhenTopology): Promise<void> {
  const upstream = await startProcessUpstream();
  t.teardown(() => upstream.close());
  const config = fleetConfig({ redis: topology.store, upstream: upstream.url, server: SERVER, routes: ROUTES, extra: EXTRA }).replace('drainDelay: 0s', `drainDelay: ${DRAIN_DELAY}`);
  const [a, b] = await Promise.all([startFleet(config), startFleet(config)]);
  t.teardown(async () => {
    await a!.close();
    await b!.close();
  });
  const fleets = [a!, b!];
  const alice = await token({ sub: 'alice', scope: undefined });

  await t.test(`a budget of ${BUDGET} for one user admits ${BUDGET} across both instances (four workers)`, async (t) => {
    const spender = await token({ sub: 'alice', jti: 'budget-run', scope: undefined });
    const statuses: number[] = [];
    const others: string[] = [];
    let seq = 0;
    // 300 requests, 16 at a time on fresh connections, alternating instances: every worker spends from the budget.
    await Promise.all(Array.from({ length: 16 }, async (_, lane) => {
      while (seq < BUDGET * 1.5) {
        const i = seq++;
        const answer = await fresh(`${fleets[(i + lane) % 2]!.url}/budget/${i}`, { headers: bearer(spender) });
        statuses.push(answer.status);
        if (answer.status !== 200 && answer.status !== 429) others.push(`/budget/${i}`);
      }
    }));
    await sleep(150);
    const admitted = statuses.filter((s) => s === 200).length;
    // Which stage refused, and why, from the refusal log line of each path that got neither 200 nor 429.
    const failures = fleets.flatMap((fleet) => fleet.lines()).filter((line) => others.includes(line.path as string)).map((line) => `${line.status} ${line.code} at ${line.stage}`);
    const workers = new Set(fleets.flatMap((fleet) => fleet.lines().filter((line) => line.route === '/budget/**').map((line) => line.worker)));
    t.comment(`budget ${BUDGET}: ${admitted} admitted, ${statuses.filter((s) => s === 429).length} refused with 429, other: ${failures.join(', ') || (others.length > 0 ? `${others.length} unlogged` : 'none')}; workers seen ${workers.size}`);
    t.equal(workers.size, 4, 'all four workers took part');
    t.ok(admitted >= BUDGET && admitted <= Math.floor(BUDGET * 1.01), `admitted ${admitted} of a budget of ${BUDGET} (at most ${Math.floor(BUDGET * 1.01)})`);
    t.equal(statuses.filter((s) => s !== 200 && s !== 429).length, 0, 'every other request refused with 429');
  });

  await t.test(`a revocation through instance A is refused on every worker of both within ${EVERYWHERE_WITHIN_MS} ms`, async (t) => {
    const jwt = await token({ sub: 'alice', jti: 'done-when-jti', scope: undefined });
    t.ok(await everyWorkerAnswers(fleets, '/api/rv-warm', jwt, 200), 'served (and cached) by all four workers first');
    const res = await fetch(`${a!.adminUrl}/admin/revocations`, { method: 'POST', headers: admin(), body: JSON.stringify({ jti: 'done-when-jti', exp: Math.floor(Date.now() / 1000) + 600 }) });
    const since = performance.now();
    t.equal(res.status, 201);
    await timeToEveryWorker(t, fleets, '/api/rv', jwt, 401, since);
  });

  await t.test(`an RBAC grant taken away through instance B is refused (403) on every worker of both within ${EVERYWHERE_WITHIN_MS} ms`, async (t) => {
    const jwt = await token({ sub: 'bo', scope: undefined });
    const granted = await fetch(`${b!.adminUrl}/admin/rbac/subjects/bo/roles`, { method: 'POST', headers: admin(), body: JSON.stringify({ role: 'viewer' }) });
    t.equal(granted.status, 201);
    t.ok(await everyWorkerAnswers(fleets, '/api/rb-warm', jwt, 200), 'the grant is served (and cached) by all four workers first');
    const res = await fetch(`${b!.adminUrl}/admin/rbac/subjects/bo/roles/viewer`, { method: 'DELETE', headers: { authorization: admin().authorization! } });
    const since = performance.now();
    t.equal(res.status, 200);
    await timeToEveryWorker(t, fleets, '/api/rb', jwt, 403, since);
  });

  await t.test('one scrape of an instance shows both of its workers', async (t) => {
    await sleep(200); // requests in flight are counted and logged
    const text = await (await fetch(`${a!.adminUrl}/metrics`)).text();
    const scraped = [...text.matchAll(/^permgate_requests_total\{[^}]*\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
    const logged = a!.lines().filter((line) => ANSWERED.has(line.msg as string));
    const perWorker = new Map<unknown, number>();
    for (const line of logged) perWorker.set(line.worker, (perWorker.get(line.worker) ?? 0) + 1);
    t.comment(`instance A: the scrape counts ${scraped} requests; its access logs ${logged.length} (${[...perWorker].map(([pid, n]) => `pid ${pid}: ${n}`).join(', ')})`);
    t.equal(perWorker.size, 2, 'both workers of A served requests');
    t.equal(scraped, logged.length, 'the one scrape counts every request either worker logged');
    t.match(text, /permgate_fleet_scrape_workers\{outcome="answered"\} 2/);
  });

  await t.test('a SIGKILLed worker is replaced and requests keep being served', async (t) => {
    const before = a!.workers();
    const victim = before[0]!;
    process.kill(victim, 'SIGKILL');
    await a!.waitForLine((line) => line.msg === 'worker died; restarting it' && line.pid === victim);
    const replaced = a!.waitForLine((line) => line.msg === 'worker serving' && !before.includes(line.pid as number), 20_000);
    let done = false;
    void replaced.then(() => (done = true), () => (done = true));
    const statuses: number[] = [];
    while (!done) statuses.push((await fresh(`${a!.url}/cached/replace-${statuses.length}`, { headers: bearer(alice) })).status);
    const fresher = (await replaced).pid as number;
    t.ok(statuses.length > 0 && statuses.every((s) => s === 200), `all ${statuses.length} requests during the replacement were 200`, { statuses: statuses.join(' ') });
    t.same(new Set(a!.workers()), new Set([before[1], fresher]), `worker ${victim} replaced by ${fresher}`);
    // A new worker reports ready once its revocation mirror and RBAC are current (its first sync): poll briefly.
    type Listed = { workers?: { pid: number; ready: boolean; restarts: number }[] };
    let listed: Listed = {};
    for (let i = 0; i < 40 && listed.workers?.find((w) => w.pid === fresher)?.ready !== true; i++) {
      listed = (await (await fetch(`${a!.adminUrl}/readyz`)).json()) as Listed;
      await sleep(50);
    }
    t.match(listed.workers?.find((w) => w.pid === fresher), { ready: true, restarts: 1 }, 'readiness lists the new worker, ready within 2 s, its slot restarted once');
  });

  await t.test('a SIGKILLed master costs no wrongful allow; the fleets recover by themselves', async (t) => {
    const mallory = await token({ sub: 'mallory', scope: undefined });
    const revoked = await fetch(`${a!.adminUrl}/admin/revocations`, { method: 'POST', headers: admin(), body: JSON.stringify({ subject: 'mallory' }) });
    t.equal(revoked.status, 201);
    t.ok(await everyWorkerAnswers(fleets, '/cached/fo-warm', alice, 200), 'alice is served (and cached) by every worker');
    t.ok(await everyWorkerAnswers(fleets, '/api/fo-warm', mallory, 401), 'mallory is refused by every worker');
    const key = await topology.keyMatching('*revocation*');

    const outcomes: { at: number; fleet: number; route: string; who: string; status: number; code: string | undefined }[] = [];
    let loading = true;
    let seq = 0;
    const lanes = fleets.flatMap((fleet, f) => (['api', 'cached'] as const).flatMap((route) => [['alice', alice], ['mallory', mallory]].map(async ([who, jwt]) => {
      while (loading) {
        const answer = await fresh(`${fleet.url}/${route}/fo-${seq++}`, { headers: bearer(jwt!) });
        outcomes.push({ at: Date.now(), fleet: f, route, who: who!, status: answer.status, code: /"code":"(\w+)"/.exec(answer.body)?.[1] });
      }
    })));
    await sleep(300);
    const killedAt = Date.now();
    const { promoted } = await topology.killMasterOf(key);
    await promoted;
    const promotedAt = Date.now();
    // Recovered: on both instances, the last 10 strict requests of alice, all sent after the promotion, were 200.
    const recovered = async (): Promise<boolean> => fleets.every((_, f) => {
      const last = outcomes.filter((o) => o.fleet === f && o.route === 'api' && o.who === 'alice').slice(-10);
      return last.length === 10 && last.every((o) => o.at > promotedAt && o.status === 200);
    });
    const deadline = Date.now() + 20_000;
    while (!(await recovered()) && Date.now() < deadline) await sleep(50);
    const back = await recovered();
    loading = false;
    await Promise.all(lanes);
    t.ok(back, `both instances serve the strict route again by themselves (${Date.now() - killedAt} ms after the kill)`);
    const troubles = fleets.flatMap((fleet, f) => fleet.lines().filter((line) => (line.level as number) >= 40 && (line.time as number) >= killedAt).map((line) => `${'AB'[f]} ${line.worker ?? 'primary'}: ${line.msg} ${String(line.reason ?? (line.err as { message?: string } | undefined)?.message ?? line.code ?? '')}`));
    const counted = [...troubles.reduce((m, line) => m.set(line.replace(/^(\S+) \d+/, '$1 w'), (m.get(line.replace(/^(\S+) \d+/, '$1 w')) ?? 0) + 1), new Map<string, number>())];
    t.comment(`warnings and errors logged since the kill: ${counted.map(([line, n]) => `${n}× ${line}`).join(' | ') || 'none'}`);
    for (const [f, fleet] of fleets.entries()) if (fleet.child.exitCode !== null) t.comment(`instance ${'AB'[f]} exited ${fleet.child.exitCode}: ${fleet.output().split('\n').filter((line) => !line.startsWith('{')).join(' / ').slice(-1500)}`);
    t.equal(fleets.filter((fleet) => fleet.child.exitCode !== null).length, 0, 'both instances are still running');

    const during = outcomes.filter((o) => o.at >= killedAt);
    const strict = during.filter((o) => o.route === 'api' && o.who === 'alice');
    const refused = strict.filter((o) => o.status !== 200);
    const stall = refused.length === 0 ? 0 : refused.at(-1)!.at - killedAt;
    const count = (list: typeof during): string => [...list.reduce((m, o) => m.set(o.status, (m.get(o.status) ?? 0) + 1), new Map<number, number>())].map(([s, n]) => `${s}×${n}`).join(' ') + codes(list);
    const codes = (list: typeof during): string => {
      const seen = [...new Set(list.filter((o) => o.status >= 500).map((o) => o.code ?? 'no code'))];
      return seen.length === 0 ? '' : ` [${seen.join(',')}]`;
    };
    t.comment(`master killed: promoted after ${promotedAt - killedAt} ms; strict route (alice): ${count(strict)}, last refusal ${stall} ms after the kill; allow-cached (alice): ${count(during.filter((o) => o.route === 'cached' && o.who === 'alice'))}; mallory: ${count(during.filter((o) => o.who === 'mallory'))}`);
    t.equal(during.filter((o) => o.who === 'mallory' && o.status >= 200 && o.status < 300).length, 0, 'no 2xx for the revoked subject, during the failover or after it');
    t.same([...new Set(during.filter((o) => o.who === 'mallory' && o.route === 'cached').map((o) => o.status))], [401], 'allow-cached routes refused the revoked subject from the local mirror all along');
    t.ok(during.filter((o) => o.who === 'mallory' && o.route === 'api').every((o) => o.status === 401 || o.status === 503), 'the strict route refused it with 401, or 503 while the store was down');
    t.ok(strict.every((o) => o.status === 200 || o.status === 503), 'the strict route answered 200 or its configured 503, nothing else');
    t.same([...new Set(during.filter((o) => o.who === 'alice' && o.route === 'cached').map((o) => o.status))], [200], 'allow-cached routes served alice throughout');

    const after = await fetch(`${b!.adminUrl}/admin/revocations`, { method: 'POST', headers: admin(), body: JSON.stringify({ subject: 'trent' }) });
    t.equal(after.status, 201, 'a revocation is written after the failover');
    t.ok(await everyWorkerAnswers(fleets, '/api/fo-after', await token({ sub: 'trent', scope: undefined }), 401), 'and refused on every worker');
  });

  await t.test('SIGTERM to instance B under keep-alive load loses no request', async (t) => {
    const result = await drainUnderLoad(a!, b!);
    t.comment(`drain: ${result.sent} requests, ${result.toB} sent to B (${result.toBAfterSignal} after SIGTERM), B readiness 503 ${result.readyGone} ms after SIGTERM; retried on A after a closed connection: ${result.retried.length} (${[...new Set(result.retried)].join(', ') || 'none'}); B exit code ${result.exitCode}`);
    t.equal(result.failed.length, 0, 'every request succeeded (retrying on A when B closed the connection, as a load balancer does)', { failed: result.failed.slice(0, 10) });
    t.equal(result.fromBNot2xx.length, 0, 'B answered no request with anything but 2xx', { statuses: result.fromBNot2xx.slice(0, 10) });
    t.ok(result.toBAfterSignal > 0, 'B served requests after SIGTERM (the drain delay)');
    t.ok(result.readyGone >= 0 && result.readyGone < 200, 'B\'s readiness went 503 at once');
    t.equal(result.exitCode, 0, 'B exits 0');
  });
}

interface DrainResult {
  sent: number;
  toB: number;
  toBAfterSignal: number;
  /** ms from SIGTERM to the first /readyz of B that was not 200. */
  readyGone: number;
  retried: string[];
  failed: string[];
  fromBNot2xx: number[];
  exitCode: number | null;
}

/**
 * A load balancer in front of A and B: 8 keep-alive clients send to B while its /readyz (polled every 50 ms) says
 * 200, else to A; a request whose connection to B fails before an answer is retried once on A.
 */
async function drainUnderLoad(a: FleetProcess, b: FleetProcess): Promise<DrainResult> {
  const agents = new Map([[a, new Agent({ keepAlive: true, maxSockets: 8 })], [b, new Agent({ keepAlive: true, maxSockets: 8 })]]);
  const result: DrainResult = { sent: 0, toB: 0, toBAfterSignal: 0, readyGone: -1, retried: [], failed: [], fromBNot2xx: [], exitCode: null };
  let bReady = true;
  let signalledAt: number | undefined;
  let running = true;
  const poller = (async () => {
    while (running) {
      const status = await fetch(`${b.adminUrl}/readyz`).then((r) => r.status, () => 0);
      if (status !== 200 && bReady) {
        bReady = false;
        if (signalledAt !== undefined) result.readyGone = performance.now() - signalledAt;
      }
      await sleep(50);
    }
  })();
  const get = (fleet: FleetProcess, path: string): Promise<{ status: number } | { error: string }> =>
    new Promise((resolve) => {
      const req = request(`${fleet.url}${path}`, { agent: agents.get(fleet) }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
        res.on('error', (err) => resolve({ error: (err as NodeJS.ErrnoException).code ?? err.message }));
      });
      req.on('error', (err) => resolve({ error: (err as NodeJS.ErrnoException).code ?? err.message }));
      req.setTimeout(5_000, () => req.destroy(new Error('timeout')));
      req.end();
    });
  let seq = 0;
  const clients = Array.from({ length: 8 }, async () => {
    while (running) {
      const path = `/public/drain-${seq++}?delay=20`;
      result.sent++;
      const toB = bReady;
      if (toB) {
        result.toB++;
        if (signalledAt !== undefined) result.toBAfterSignal++;
      }
      const first = await get(toB ? b : a, path);
      let answer = first;
      if ('error' in first && toB) {
        result.retried.push(first.error);
        answer = await get(a, path);
      }
      if ('error' in answer) result.failed.push(`${path}: ${answer.error}`);
      else if (answer.status < 200 || answer.status >= 300) result.failed.push(`${path}: ${answer.status}`);
      if (toB && 'status' in first && (first.status < 200 || first.status >= 300)) result.fromBNot2xx.push(first.status);
    }
  });
  await sleep(500);
  signalledAt = performance.now();
  b.child.kill('SIGTERM');
  result.exitCode = await b.exited();
  await sleep(300);
  running = false;
  await Promise.all([...clients, poller]);
  for (const agent of agents.values()) agent.destroy();
  return result;
}

/** The first key matching `pattern` on any of `nodes` (host:port), for a topology's `keyMatching`. */
export async function keyOnNodes(nodes: readonly string[], pattern: string): Promise<string> {
  for (const node of nodes) {
    const [host, port] = node.split(':');
    const client = new Redis({ host, port: Number(port), lazyConnect: true, retryStrategy: () => null });
    client.on('error', () => {});
    try {
      const [, keys] = await client.scan('0', 'MATCH', pattern, 'COUNT', 10_000);
      if (keys.length > 0) return keys[0]!;
    } catch {
      // a replica or a node that is gone: the next one
    } finally {
      client.disconnect();
    }
  }
  throw new Error(`no key matches ${pattern}`);
}
