// What the SQL source's gateway tests ask of a gateway: a request as a subject (a real token, cached per subject), and
// how long until a request gets an expected status.
import type { Test } from 'tap';
import type { SqlDialect } from '../../src/rbac/sql/sql-preset.js';
import { startGateway, type GatewayUnderTest } from './gateway-under-test.js';
import { startRecordingUpstream } from './recording-upstream.js';
import { createDatabase, type SqlDatabase } from './sql-database.js';
import { token } from './tokens.js';

const jwts = new Map<string, string>();

/** The status a request as `sub` gets. */
export async function statusAs(gw: GatewayUnderTest, sub: string, method: string, path: string): Promise<number> {
  if (!jwts.has(sub)) jwts.set(sub, await token({ sub, scope: undefined }));
  return (await fetch(`${gw.url}${path}`, { method, headers: { authorization: `Bearer ${jwts.get(sub)}` } })).status;
}

/** Polls until a request as `sub` gets `expected`; how long that took in ms (Infinity past the deadline). */
export async function timeUntil(gw: GatewayUnderTest, sub: string, method: string, path: string, expected: number, deadlineMs: number): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < deadlineMs) {
    if ((await statusAs(gw, sub, method, path)) === expected) return performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return Infinity;
}

/**
 * A throwaway database loaded with `fixture` (and `prepare`, e.g. a preset's triggers), a recording upstream, and
 * `count` gateways on them from `yaml(upstreamUrl)` with RBAC_DATABASE_URL set; all closed and dropped at the end.
 */
export async function sqlGateways(
  t: Test,
  dialect: SqlDialect,
  fixture: string,
  yaml: (upstreamUrl: string) => string,
  count: number,
  prepare?: string,
): Promise<{ db: SqlDatabase; gateways: GatewayUnderTest[] }> {
  const db = await createDatabase(dialect, fixture);
  t.teardown(() => db.drop());
  if (prepare !== undefined) await db.query(prepare);
  const upstream = await startRecordingUpstream();
  const gateways: GatewayUnderTest[] = [];
  t.teardown(async () => {
    for (const gw of gateways) await gw.close();
    await upstream.close();
  });
  for (let i = 0; i < count; i++) gateways.push(await startGateway(yaml(upstream.url), { RBAC_DATABASE_URL: db.url }));
  return { db, gateways };
}
