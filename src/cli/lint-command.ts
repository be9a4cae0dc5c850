// `permgate lint`: the findings of src/lint/ for a config (and its store's policy), as text or JSON; exit 1 on errors.
import { existsSync } from 'node:fs';
import type { LoadedConfig } from '../config/load.js';
import { findingLine, type Finding } from '../lint/finding.js';
import { lintConfig } from '../lint/lint.js';
import { readStoredPolicy } from '../lint/store-policy.js';
import type { StoredPolicy } from '../lint/policy-view.js';
import { openStore } from '../stores/open-store.js';

export interface LintReport {
  readonly findings: readonly Finding[];
  readonly errors: number;
  readonly warnings: number;
}

/** How long lint waits for a shared store before linting the config alone. */
const STORE_WAIT_MS = 2_000;

/** The store's policy, or a warning saying why it could not be read. The store is only read, then closed. */
async function storedPolicy(loaded: LoadedConfig): Promise<StoredPolicy | Finding> {
  let store;
  try {
    store = openStore(loaded.config.store);
    await store.ready(STORE_WAIT_MS);
    const rbac = store.rbacStore({ syncInterval: loaded.config.rbac.syncInterval, now: Date.now });
    return await readStoredPolicy(rbac);
  } catch (err) {
    return {
      severity: 'warning',
      rule: 'store-unreachable',
      message: `the RBAC store could not be read (${(err as Error).message}); only the config was linted`,
      place: { kind: 'store', record: loaded.config.store.redis !== undefined ? 'redis' : (loaded.config.store.path ?? 'memory') },
    };
  } finally {
    await store?.close().catch(() => {});
  }
}

export async function lintReport(loaded: LoadedConfig, options: { readonly store: boolean }): Promise<LintReport> {
  // A memory store is empty in a process of its own, and a state file not yet made holds nothing: opening it would
  // create it, and lint only reads.
  const { redis, path } = loaded.config.store;
  const hasStore = options.store && (redis !== undefined || (path !== undefined && existsSync(path)));
  const stored = hasStore ? await storedPolicy(loaded) : undefined;
  const storeFinding = stored !== undefined && 'rule' in stored ? [stored] : [];
  const policy = stored !== undefined && !('rule' in stored) ? stored : undefined;
  const findings = [...lintConfig(loaded, policy), ...storeFinding];
  const errors = findings.filter((f) => f.severity === 'error').length;
  return { findings, errors, warnings: findings.length - errors };
}

export function lintReportText(report: LintReport): string {
  const summary = `${report.errors} error${report.errors === 1 ? '' : 's'}, ${report.warnings} warning${report.warnings === 1 ? '' : 's'}`;
  return [...report.findings.map(findingLine), summary].join('\n');
}
