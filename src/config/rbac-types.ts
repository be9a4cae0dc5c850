// The `rbac` section: the static policy and how compiled permissions are cached and kept current.
import type { StaticPolicy } from '../rbac/model.js';
import type { SqlDialect, SqlPresetName, SqlQueries } from '../rbac/sql/sql-preset.js';
import type { Milliseconds } from './units.js';

export interface RbacConfig {
  readonly policy: StaticPolicy;
  /** Compiled subjects kept per instance (LRU). */
  readonly cacheSize: number;
  /** A compiled subject is rebuilt after this long even if no change was announced (a backstop, not the mechanism). */
  readonly cacheTtl: Milliseconds;
  /** How often each instance compares its RBAC version with the shared store (catches a missed pub/sub message). */
  readonly syncInterval: Milliseconds;
  /** With the shared store unreachable, compiled permissions older than this are not used (the route answers 503). */
  readonly maxStaleness: Milliseconds;
  /** A 403 names the code the caller lacks; false keeps the body generic. */
  readonly exposeMissingCode: boolean;
  /** Codes in the token's scope claim count as direct grants (exact codes, never patterns; denies still apply). */
  readonly tokenScopes: boolean;
  /** Denials written to the audit trail per second and instance; the rest are counted in metrics only. */
  readonly auditDenials: number;
  readonly usage: {
    /** Which grant allowed each request is recorded (privilege/grant-usage-recorder.ts). */
    readonly record: boolean;
    readonly flushInterval: Milliseconds;
  };
  readonly denialSpikes: DenialSpikeConfig;
  /** Where else roles and bindings come from (issue 16); absent or empty: the config and the store only. */
  readonly source?: { readonly sql?: SqlSourceConfig | undefined } | undefined;
}

/** `rbac.source.sql`: a legacy database read as a source of roles, bindings and grants (rbac/sql/). */
export interface SqlSourceConfig {
  /** postgres://, postgresql://, mysql:// or mariadb://; may hold credentials, so it is never logged or shown. */
  readonly url: string;
  readonly dialect: SqlDialect;
  readonly preset: SqlPresetName | 'none';
  /** The preset's queries with the config's overrides, `version` included (from `changes.version` if written). */
  readonly queries: SqlQueries & { readonly version: string };
  /**
   * The preset's count of the rows its queries skip (presets/unmapped-rows.ts), run at start and on every full reload;
   * absent when the preset has none, or when a query that reads rows is the operator's own (the count would not be
   * about the queries in use).
   */
  readonly unmapped?: string | undefined;
  readonly changes: SqlChanges;
  readonly pool: number;
  readonly statementTimeout: Milliseconds;
  readonly connectTimeout: Milliseconds;
}

/**
 * How changes are seen: LISTEN on a channel (PostgreSQL; the version query still runs every `check` to catch a
 * missed notification), or the version query every `interval`.
 */
export type SqlChanges =
  | { readonly kind: 'notify'; readonly channel: string; readonly check: Milliseconds }
  | { readonly kind: 'poll'; readonly interval: Milliseconds };

/** `rbac.denialSpikes`: a subject refused `threshold` times within one `window` is flagged once. */
export interface DenialSpikeConfig {
  /** 0: off. */
  readonly threshold: number;
  readonly window: Milliseconds;
  readonly webhook: string | undefined;
  readonly webhookTimeout: Milliseconds;
}
