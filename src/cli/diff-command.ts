// `permgate diff -c NEW [--against FILE | --admin URL]`: what a reload of NEW would change, against a file or against
// what a running gateway enforces. Resolves the old side, then diff/config-diff.ts computes and diff-text.ts prints.
import { existsSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, formatIssue } from '../config/config-error.js';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { diffConfigs, type ConfigDiff, type DiffSide } from '../diff/config-diff.js';
import { readLivePolicy } from '../diff/live-policy.js';
import { sideOfConfig } from '../diff/policy-side.js';

/** The admin token comes from the environment, as the shipped config reads it: never from argv (`ps` shows argv). */
export const ADMIN_TOKEN_VARIABLE = 'PERMGATE_ADMIN_TOKEN';

export interface DiffOptions {
  /** The NEW config's file, as given with -c. */
  readonly file: string;
  readonly against?: string | undefined;
  readonly admin?: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  readonly now?: number;
}

/** A usage problem: exit 2 with this sentence. */
export class DiffUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DiffUsageError';
  }
}

function sameFile(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return resolve(a) === resolve(b);
  }
}

/** The side of a running gateway: its policy from the admin API, its routes from --against or the file it names. */
async function gatewaySide(loadedNew: LoadedConfig, options: DiffOptions & { admin: string }): Promise<DiffSide> {
  const token = options.env[ADMIN_TOKEN_VARIABLE] ?? '';
  if (token === '') throw new DiffUsageError(`--admin reads the admin token from ${ADMIN_TOKEN_VARIABLE} (an admin token or an admin's JWT); it is not set`);
  const live = await readLivePolicy(options.admin, token);
  let loaded: LoadedConfig | undefined;
  let note: string | undefined;
  let routesFrom: string | undefined = options.against;
  if (options.against !== undefined) loaded = await loadConfig(options.against, options.env);
  else if (live.file === undefined) note = 'the gateway does not name its config file; routes and rate limits were not compared (give --against)';
  else if (sameFile(live.file, options.file)) {
    note = `the gateway runs ${live.file}, the file being diffed: its route map before the edit is not known, so routes and rate limits were not compared (give --against with the previous version)`;
  } else if (!existsSync(live.file)) {
    note = `the gateway's config file ${live.file} cannot be read here; routes and rate limits were not compared (give --against)`;
  } else {
    try {
      loaded = await loadConfig(live.file, options.env);
      routesFrom = live.file;
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      note = `the gateway's config file ${live.file} does not load now (${formatIssue(err.issues[0]!)}); routes and rate limits were not compared`;
    }
  }
  const tokenRoles = loaded !== undefined ? loaded.config.auth?.jwt.claims.roles !== undefined : sideOfConfig(loadedNew).tokenRoles;
  return {
    label: `${options.admin}${routesFrom !== undefined ? ` (routes from ${routesFrom})` : ''}`,
    loaded,
    policy: { configured: live.configured, stored: live.stored, tokenRoles },
    note,
  };
}

/**
 * @throws DiffUsageError (neither --against nor --admin, no admin token), ConfigError (--against does not load),
 *   AdminReadError (the admin API cannot be read)
 */
export async function runDiff(loadedNew: LoadedConfig, options: DiffOptions): Promise<ConfigDiff> {
  const now = options.now ?? Date.now();
  if (options.admin !== undefined && options.admin !== '') {
    const before = await gatewaySide(loadedNew, { ...options, admin: options.admin });
    return diffConfigs(before, { label: options.file, loaded: loadedNew, policy: sideOfConfig(loadedNew, before.policy.stored) }, now);
  }
  if (options.against === undefined || options.against === '') {
    throw new DiffUsageError('say what to compare with: --against FILE (the config in force) or --admin URL (a running gateway)');
  }
  const old = await loadConfig(options.against, options.env);
  return diffConfigs({ label: options.against, loaded: old, policy: sideOfConfig(old) }, { label: options.file, loaded: loadedNew, policy: sideOfConfig(loadedNew) }, now);
}
