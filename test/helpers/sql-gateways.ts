// What the SQL source's gateway tests ask of a gateway: a request as a subject (a real token, cached per subject), and
// how long until a request gets an expected status.
import type { GatewayUnderTest } from './gateway-under-test.js';
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
