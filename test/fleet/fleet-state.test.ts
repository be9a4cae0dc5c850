// Shared state across two instances of two workers each on one Redis (issue 12 "done when"): a revocation and an
// RBAC change made through one instance's admin API are in force on every worker of both within 100 ms (each worker
// follows the store's feed itself), and a rate limit admits exactly its budget across all four workers.
import t from 'tap';
import { fresh, startFleet, type FleetProcess } from '../helpers/fleet-process.js';
import { startPrivateRedis } from '../helpers/private-redis.js';
import { startProcessUpstream } from '../helpers/process-upstream.js';
import { hsAuth, token } from '../helpers/tokens.js';
import { admin, fleetConfig } from './fleet-config.js';

const ROUTES = `  - { path: /api/**, upstream: svc, permission: order:read }
  - { path: /limited/**, upstream: svc, auth: none, rateLimit: { route: 30/min } }
`;
const EXTRA = `${hsAuth({ revocation: '{ syncInterval: 100ms }' })}rbac:
  syncInterval: 100ms
  roles:
    viewer: { grants: [order:read] }
  subjects:
    ada: { roles: [viewer] }
`;

/**
 * Polls every fleet with fresh connections (cluster hands each to the next worker) until `rounds` sweeps in a row
 * see `expected` from every request; returns the time from `since` to the start of the first of those sweeps (0 when
 * the first sweep already sees it).
 */
async function timeUntilEverywhere(fleets: FleetProcess[], path: string, jwt: string, expected: number, since: number, rounds = 2): Promise<number> {
  let firstGood: number | undefined;
  let streak = 0;
  while (performance.now() - since < 3_000) {
    const sweepStarted = performance.now();
    const answers = await Promise.all(fleets.flatMap((fleet) => [0, 1].map(() => fresh(`${fleet.url}${path}`, { headers: { authorization: `Bearer ${jwt}` } }))));
    if (answers.every((answer) => answer.status === expected)) {
      firstGood ??= Math.max(sweepStarted, since);
      if (++streak >= rounds) return firstGood - since;
    } else {
      firstGood = undefined;
      streak = 0;
    }
  }
  return Infinity;
}

t.test('two instances × two workers on one Redis: revocations and RBAC changes everywhere within 100 ms, limits exact', async (t) => {
  const redis = await startPrivateRedis();
  const upstream = await startProcessUpstream();
  // A generous command timeout: on a loaded machine a slow Redis reply would otherwise send budgets to the
  // documented local-share fallback, which is not what this test is about.
  const config = fleetConfig({ redis: redis.url, upstream: upstream.url, store: '  commandTimeout: 2s\n', routes: ROUTES, extra: EXTRA });
  const [a, b] = await Promise.all([startFleet(config), startFleet(config)]);
  t.teardown(async () => {
    await a!.close();
    await b!.close();
    await upstream.close();
    await redis.close();
  });
  const fleets = [a!, b!];

  await t.test('a revocation through one instance is refused on all four workers within 100 ms', async (t) => {
    const jwt = await token({ sub: 'ada', jti: 'fleet-jti-1', scope: undefined });
    t.ok(Number.isFinite(await timeUntilEverywhere(fleets, '/api/x', jwt, 200, performance.now(), 1)), 'served everywhere first');
    const res = await fetch(`${a!.adminUrl}/admin/revocations`, { method: 'POST', headers: admin(), body: JSON.stringify({ jti: 'fleet-jti-1', exp: Math.floor(Date.now() / 1000) + 600 }) });
    // The change is made (written, versioned and announced in one Lua script) when the admin API answers.
    const since = performance.now();
    t.equal(res.status, 201);
    const took = await timeUntilEverywhere(fleets, '/api/x', jwt, 401, since);
    t.ok(took < 100, `refused on every worker of both instances ${took.toFixed(1)} ms after the change`);
  });

  await t.test('an RBAC change through one instance holds on all four workers within 100 ms', async (t) => {
    const jwt = await token({ sub: 'bo', scope: undefined });
    t.ok(Number.isFinite(await timeUntilEverywhere(fleets, '/api/x', jwt, 403, performance.now(), 1)), 'bo is refused everywhere (and cached so)');
    const res = await fetch(`${b!.adminUrl}/admin/rbac/subjects/bo/roles`, { method: 'POST', headers: admin(), body: JSON.stringify({ role: 'viewer' }) });
    const since = performance.now();
    t.equal(res.status, 201);
    const took = await timeUntilEverywhere(fleets, '/api/x', jwt, 200, since);
    t.ok(took < 100, `granted on every worker of both instances ${took.toFixed(1)} ms after the change`);
  });

  await t.test('a route budget admits exactly its limit across four workers', async (t) => {
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => fresh(`${fleets[i % 2]!.url}/limited/${i}`)));
    const admitted = answers.filter((answer) => answer.status === 200).length;
    const limited = answers.filter((answer) => answer.status === 429).length;
    t.equal(admitted, 30, 'admitted == limit');
    t.equal(limited, 30, 'the rest refused with 429');
  });
});
