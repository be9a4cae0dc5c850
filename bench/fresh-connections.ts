// A closed-loop load where every request has a connection of its own (connect, one HTTP/1.1 request with
// `Connection: close`, close): what a server spends accepting connections, which keep-alive loads hide. autocannon
// keeps its connections open, so this is node:http with `agent: false`, a fixed number of requests at a time. The
// load generator's own CPU per connection is large on two shared cores; compare the servers' CPU per request.
import { request } from 'node:http';
import type { LoadResult } from './load.js';
import { quantile } from './load.js';
import type { Scenario } from './scenarios.js';
import { connectionShare } from './users.js';

const EXCHANGE_TIMEOUT_MS = 10_000;

/** One request on a new connection; resolves with its status, rejects on a refused, reset or silent connection. */
function exchange(url: URL, scenario: Scenario, headers: Readonly<Record<string, string>>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: scenario.method, agent: false, headers: { ...scenario.headers, ...headers, connection: 'close' } }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
      res.once('error', reject);
    });
    req.setTimeout(EXCHANGE_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${EXCHANGE_TIMEOUT_MS} ms`)));
    req.once('error', reject);
    req.end(scenario.body);
  });
}

/** `concurrency` loops for `durationSeconds`, each going through its share of the scenario's users. */
export async function freshConnectionLoad(url: string, scenario: Scenario, concurrency: number, durationSeconds: number): Promise<LoadResult> {
  const target = new URL(url + scenario.path);
  const times: number[] = [];
  let [errors, non2xx] = [0, 0];
  const started = performance.now();
  const deadline = started + durationSeconds * 1_000;
  const loop = async (index: number): Promise<void> => {
    const users = connectionShare(scenario.headerVariants ?? [{}], index, concurrency);
    for (let i = 0; performance.now() < deadline; i++) {
      const sent = performance.now();
      try {
        const status = await exchange(target, scenario, users[i % users.length] ?? {});
        times.push(performance.now() - sent);
        if (status < 200 || status > 299) non2xx++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, index) => loop(index)));
  const elapsed = (performance.now() - started) / 1_000;
  const p99 = quantile(times, 0.99);
  // Whole ms in p50 and p99, as autocannon's histogram gives them beside the other loads; p99Exact keeps the fraction.
  return { requestsPerSecond: times.length / elapsed, requests: times.length, p50: Math.round(quantile(times, 0.5)), p99: Math.round(p99), errors, non2xx, p99Exact: p99 };
}
