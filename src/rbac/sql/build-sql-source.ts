// Opens the SQL source `rbac.source.sql` configures and checks it once (issue 16): a missing driver or a query that
// fails as written or returns the wrong columns is a config error naming its key; a database that does not answer
// is not: the gateway starts with the source "not current" (protected routes 503, readiness says so) and it retries.
import { ConfigError, type ConfigIssue } from '../../config/config-error.js';
import type { Locate } from '../../config/checker.js';
import type { SqlSourceConfig } from '../../config/rbac-types.js';
import type { LogPort } from '../../observability/log-port.js';
import type { GatewayMetrics } from '../../observability/metrics.js';
import { presetByName } from './presets/index.js';
import { DRIVER, SqlDriverMissing } from './sql-client.js';
import { SqlRbacSource } from './sql-rbac-source.js';
import { AS_WRITTEN, type RowMapping } from './sql-rows.js';

const PATH = ['rbac', 'source', 'sql'] as const;
/** Kinds of unmapped row named in the log line (the table's own values, e.g. Casbin ptypes; the total counts all). */
const MAX_KINDS_LOGGED = 20;

/** The preset's mappings, or the strings as written for `none`. */
export function mappingOf(config: SqlSourceConfig): RowMapping {
  const preset = config.preset === 'none' ? undefined : presetByName(config.preset);
  return preset ?? AS_WRITTEN;
}

export async function buildSqlSource(
  config: SqlSourceConfig,
  options: { readonly cacheSize: number; readonly locate: Locate | undefined; readonly metrics: GatewayMetrics; readonly log: LogPort; readonly now: () => number },
): Promise<SqlRbacSource> {
  const { metrics, log } = options;
  const issue = (path: readonly string[], message: string, hint?: string): ConfigIssue => ({
    location: options.locate?.([...path]) ?? { file: '', line: 0, column: 0 },
    keyPath: path.join('.'),
    message,
    hint,
  });
  // The unmapped count is logged when it first comes, and again only when a full reload finds it different.
  let lastUnmapped: string | undefined;
  let source: SqlRbacSource;
  try {
    source = await SqlRbacSource.open(config, mappingOf(config), {
      cacheSize: options.cacheSize,
      now: options.now,
      events: {
        onQuery(query, outcome, seconds) {
          metrics.rbacSqlQueries.inc({ query, outcome });
          metrics.rbacSqlQueryDuration.observe({ query }, seconds);
        },
        onUp(up) {
          metrics.rbacSourceUp.set({ source: 'sql' }, up ? 1 : 0);
          if (up) log.info({ source: 'sql' }, 'RBAC SQL source current');
        },
        onRow: (where, reason) => log.warn({ source: 'sql', where, reason }, 'RBAC SQL row not read as written'),
        onTrouble: (message, reason) => log.warn({ source: 'sql', reason }, message),
        onUnmapped(counts) {
          const total = [...counts.values()].reduce((sum, n) => sum + n, 0);
          metrics.rbacSqlUnmappedRows.set({ preset: config.preset }, total);
          const kinds = Object.fromEntries([...counts].slice(0, MAX_KINDS_LOGGED).map(([what, n]) => [what.slice(0, 64), n]));
          const text = JSON.stringify(kinds);
          if (text === lastUnmapped) return;
          lastUnmapped = text;
          if (total === 0) return;
          log.warn({ source: 'sql', preset: config.preset, unmapped: total, kinds }, `RBAC SQL rows the ${config.preset} preset cannot map: ${total} left out, granting and denying nothing`);
        },
      },
    });
  } catch (err) {
    if (err instanceof SqlDriverMissing) {
      throw new ConfigError([issue([...PATH, 'url'], `names a ${config.dialect === 'postgres' ? 'PostgreSQL' : 'MySQL/MariaDB'} database, but the ${err.driver} driver is not installed`, `npm install ${DRIVER[config.dialect]}`)]);
    }
    throw err;
  }
  metrics.rbacSourceUp.set({ source: 'sql' }, 0);
  const { reachable, problems } = await source.check();
  if (problems.length > 0) {
    await source.close();
    // The preset's version query reads the row its triggers create: without them, say how to get them.
    const hint = (key: string): string | undefined =>
      key === 'version' && config.preset !== 'none' ? `install the version row and triggers: permgate sql triggers --preset ${config.preset}` : undefined;
    throw new ConfigError(problems.map((p) => issue(p.key === 'version' ? [...PATH, 'changes', 'version'] : [...PATH, 'queries', p.key], p.message, hint(p.key))));
  }
  if (!reachable) log.warn({ source: 'sql' }, 'RBAC SQL source not reachable at start: protected routes answer 503 until it is (retrying)');
  return source;
}
