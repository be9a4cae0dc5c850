// The pure parts of `npm run bench:fleet`: the users and headers it sends, the config edits, what it reads from Redis's
// INFO, how it sums CPU, and how it turns readings into per-request figures and ratios.
import { readFileSync } from 'node:fs';
import { jwtVerify } from 'jose';
import t from 'tap';
import { parse } from 'yaml';
import { raisedLimits, trustLoopbackProxy, withRedisTopology, withSubjects, withWorkers } from '../../bench/config-variants.js';
import { sumReadings } from '../../bench/cpu-time.js';
import { selectParts } from '../../bench/fleet-parts.js';
import { formatFigure, formatFleetRatios, meterSum, ratio, summarizeFleet } from '../../bench/fleet-report.js';
import { perResponse } from '../../bench/fleet-rounds.js';
import { quantile } from '../../bench/load.js';
import { addCounters, countersOf, infoFields } from '../../bench/redis-stats.js';
import { BENCH_JWT_SECRET } from '../../bench/scenarios.js';
import { benchUsers, connectionShare, manyUsersScenario, userHeaders } from '../../bench/users.js';

const shipped = readFileSync(new URL('../../gateway.config.yaml', import.meta.url), 'utf8');

t.test('10,000 bench users have distinct subjects and distinct client addresses', async (t) => {
  const users = benchUsers(10_000);
  t.equal(new Set(users.map((u) => u.subject)).size, 10_000);
  t.equal(new Set(users.map((u) => u.address)).size, 10_000);
  t.equal(users[0]!.address, '10.0.0.1');
  t.equal(users[9_999]!.address, '10.0.39.16');
  t.throws(() => benchUsers(0), RangeError);
});

t.test("each user's headers carry a token for that user, signed with the bench secret, and its own forwarded address", async (t) => {
  const users = benchUsers(3);
  const headers = await userHeaders(users);
  const key = new TextEncoder().encode(BENCH_JWT_SECRET);
  for (const [i, user] of users.entries()) {
    const { payload } = await jwtVerify(headers[i]!.authorization!.replace(/^Bearer /, ''), key, { issuer: 'permgate-dev', audience: 'permgate', algorithms: ['HS256'] });
    t.equal(payload.sub, user.subject);
    t.equal(payload.jti, `bench-${i}`);
    t.equal(headers[i]!['x-forwarded-for'], user.address);
  }
  const scenario = manyUsersScenario('3 users', headers);
  t.same(scenario.headers, headers[0], 'a single request (the preflight) is the first user');
  t.equal(scenario.headerVariants?.length, 3);
});

t.test('the connections of a run share the users out between them, every user to some connection', async (t) => {
  const list = Array.from({ length: 10_000 }, (_, i) => i);
  const shares = Array.from({ length: 50 }, (_, c) => connectionShare(list, c, 50));
  t.same(shares.flat().sort((a, b) => a - b), list, 'each user exactly once');
  t.ok(shares.every((share) => share.length === 200));
  t.same(connectionShare(['a', 'b'], 7, 50), ['b'], 'more connections than users: each still gets one');
  t.same(connectionShare([], 0, 50), []);
});

t.test('the config edits give a config with the bench subjects, a trusted loopback proxy, workers and a topology', async (t) => {
  const yaml = withWorkers(withRedisTopology(withSubjects(trustLoopbackProxy(raisedLimits(shipped)), ['u-1', 'u-2'], 'viewer'), { cluster: ['127.0.0.1:7000', '127.0.0.1:7001'] }), 2);
  const config = parse(yaml.replace(/\$\{[^}]*\}/g, 'x')) as { server: { trustProxy: string[]; workers: number }; rbac: { subjects: Record<string, { roles: string[] }> }; store: { redis: unknown } };
  t.same(config.server.trustProxy, ['127.0.0.1']);
  t.equal(config.server.workers, 2);
  t.same(config.rbac.subjects['u-2'], { roles: ['viewer'] });
  t.ok(config.rbac.subjects.alice, 'the shipped subjects stay');
  t.same(config.store.redis, { cluster: ['127.0.0.1:7000', '127.0.0.1:7001'] });
  const sentinel = parse(withRedisTopology(shipped, { sentinels: ['127.0.0.1:1', '127.0.0.1:2'], name: 'mymaster' }).replace(/\$\{[^}]*\}/g, 'x')) as { store: { redis: unknown } };
  t.same(sentinel.store.redis, { sentinels: ['127.0.0.1:1', '127.0.0.1:2'], name: 'mymaster' });
  t.throws(() => trustLoopbackProxy('server: {}'), /changed shape/, 'a config without the line fails loudly');
});

t.test("Redis INFO: scripts and commands (those run inside scripts too) are counted, the monitoring and replication traffic is not", async (t) => {
  const info = [
    '# Stats',
    'total_reads_processed:120',
    '# CPU',
    'used_cpu_sys:1.250000',
    'used_cpu_user:0.750000',
    '# Commandstats',
    'cmdstat_evalsha:calls=10,usec=300,usec_per_call=30.00,rejected_calls=0,failed_calls=0',
    'cmdstat_get:calls=25,usec=20,usec_per_call=0.80,rejected_calls=0,failed_calls=0',
    'cmdstat_info:calls=99,usec=20,usec_per_call=0.20,rejected_calls=0,failed_calls=0',
    'cmdstat_replconf:calls=7,usec=1,usec_per_call=0.10,rejected_calls=0,failed_calls=0',
    'cmdstat_client|setname:calls=3,usec=1,usec_per_call=0.30,rejected_calls=0,failed_calls=0',
    '',
  ].join('\r\n');
  const counters = countersOf(infoFields(info));
  t.same(counters, { commands: 35, scripts: 10, reads: 120, cpuMicros: 2_000_000 });
  t.same(addCounters(counters, counters), { commands: 70, scripts: 20, reads: 240, cpuMicros: 4_000_000 });
  t.throws(() => countersOf(infoFields('# Stats\r\n')), /total_reads_processed/, 'a missing counter is an error, not a zero');
});

t.test("a process tree's CPU is the sum of its members, and unknown when one member cannot be read", async (t) => {
  t.equal(sumReadings([300, 120, 80]), 500);
  t.equal(sumReadings([300, undefined]), undefined);
  t.equal(sumReadings([]), 0);
});

t.test('meter readings become figures per response; ratios and sums are unknown when a part is unknown', async (t) => {
  const meters = [{ name: 'CPU µs' }, { name: 'Redis CPU µs' }];
  t.same(perResponse(meters, [1_000, 50], [4_000, undefined], 100), { 'CPU µs': 30, 'Redis CPU µs': undefined });
  t.same(perResponse(meters, [0, 0], [10, 10], 0), { 'CPU µs': undefined, 'Redis CPU µs': undefined }, 'no responses: no figure');
  const result = (rps: number, p99Exact?: number) => ({ requestsPerSecond: rps, requests: rps * 5, p50: 1, p99: 2, errors: 0, non2xx: 1, ...(p99Exact === undefined ? {} : { p99Exact }) });
  const row = summarizeFleet('100 users', 'permgate', [
    { result: result(900, 1.5), perRequest: { 'CPU µs': 100, 'Redis CPU µs': 20 } },
    { result: result(1_100, 2.5), perRequest: { 'CPU µs': 140, 'Redis CPU µs': undefined } },
    { result: result(1_000, 2), perRequest: { 'CPU µs': 120, 'Redis CPU µs': 30 } },
  ]);
  t.equal(row.requestsPerSecond, 1_000, 'medians over the rounds');
  t.equal(row.p99Exact, 2);
  t.equal(row.non2xx, 3, 'non-2xx summed');
  t.same(row.perRequest, { 'CPU µs': 120, 'Redis CPU µs': 25 }, 'an unreadable round is left out of the median');
  t.equal(row.stalledRuns, 0);
  const stalled = summarizeFleet('1 user', 'permgate', [
    { result: result(900), perRequest: {} },
    { result: { ...result(0), requests: 0 }, perRequest: {} },
    { result: result(1_100), perRequest: {} },
  ]);
  t.equal(stalled.stalledRuns, 1, 'a run without a single response is counted');
  t.equal(stalled.requestsPerSecond, 1_000, 'and left out of the medians rather than read as 0 req/s');
  t.equal(stalled.rounds, 3);
  t.equal(meterSum(row, ['CPU µs', 'Redis CPU µs']), 145);
  t.equal(meterSum({ perRequest: { a: 1, b: null } }, ['a', 'b']), null);
  t.equal(ratio(3, 4), 0.75);
  t.equal(ratio(3, 0), null);
  t.equal(ratio(undefined, 4), null);
  t.equal(formatFigure(0.8349), '0.83');
  t.equal(formatFigure(null), '-');
  t.equal(formatFigure(Number.NaN), '-');
  const text = formatFleetRatios([
    { label: 'permgate / bare, req/s', scenario: '1 user', value: 0.9512, aim: '>= 1.0' },
    { label: 'permgate / bare, req/s', scenario: '100 users', value: null, aim: '>= 1.0' },
  ]);
  t.match(text, /permgate \/ bare, req\/s\s+0\.95\s+-\s+>= 1\.0/);
});

t.test('the exact p99 is the nearest-rank quantile of every response time', async (t) => {
  const times = Array.from({ length: 200 }, (_, i) => (i + 1) / 10);
  t.equal(quantile(times, 0.99), 19.8);
  t.equal(quantile([5, 1, 3, 2, 4], 0.5), 3);
  t.ok(Number.isNaN(quantile([], 0.99)));
});

t.test('each part of the fleet bench can be run alone, by argument or by BENCH_FLEET', async (t) => {
  t.same(selectParts([], undefined), ['users', 'workers', 'reuseport', 'latency', 'topologies']);
  t.same(selectParts(['topologies'], 'users'), ['users', 'topologies']);
  t.same(selectParts([], 'latency, workers'), ['workers', 'latency']);
  t.throws(() => selectParts(['nginx'], undefined), /unknown part "nginx"/);
});
