// The `store` section's shape and defaults: Redis for a fleet, or the embedded SQLite file for one instance.
import { duration, flag, integer, list, mapping, optional, text } from './kinds.js';
import { Type } from './type.js';

/** `store.path` when the config does not say: next to the config file. */
export const DEFAULT_STATE_FILE = 'permgate-state.db';

const address = (what: string) => text(`${what} as host:port`, { pattern: '^\\S+:[0-9]{1,5}$', errorMessage: 'expected host:port, got {got}' });
const credentials = {
  username: optional(text('The ACL user of the data nodes')),
  password: optional(text('The data nodes\' password; write ${ENV_VAR} rather than the password itself; empty: none', { allowEmpty: true })),
  tls: optional(flag('TLS to every node (and every sentinel)', false)),
};

/** `store.redis` as a Sentinel group (issue 12): the sentinels name the master and announce its failovers. */
const SentinelSchema = mapping({
  sentinels: list(address('A sentinel'), 'The sentinels; any one that answers names the current master', { minItems: 1 }),
  name: text('The master\'s name in the sentinels\' config (sentinel monitor NAME …)'),
  ...credentials,
  sentinelPassword: optional(text('The sentinels\' own password (requirepass in sentinel.conf); ${ENV_VAR}; empty: none', { allowEmpty: true })),
}, 'A Sentinel group: the master the sentinels name, followed through failovers', { title: 'sentinel' });

/** `store.redis` as a Redis Cluster (issue 12): seed nodes, the rest are discovered. */
const ClusterSchema = mapping({
  cluster: list(address('A cluster node'), 'Seed nodes of the cluster; the others are discovered', { minItems: 1 }),
  ...credentials,
}, 'A Redis Cluster: keys are routed to their slot\'s master', { title: 'cluster' });

export const StoreSchema = mapping({
  redis: optional(Type.Union([
    text('redis:// or rediss:// URL of one node (user and password in it)', { allowEmpty: true }),
    SentinelSchema,
    ClusterSchema,
  ], { description: 'The shared store: a redis:// or rediss:// URL, { sentinels, name } or { cluster }; empty: the embedded store (single instance)', default: '' })),
  commandTimeout: optional(duration('Each Redis command on the request path gives up after this long', '50ms')),
  path: optional(text('The embedded store\'s SQLite file, relative to the config file; `memory`: not kept', { default: DEFAULT_STATE_FILE })),
  audit: optional(mapping({
    changes: optional(integer(100, 10_000_000, 'Admin changes kept in the audit trail', 100_000)),
    denials: optional(integer(100, 1_000_000, 'Sampled denials kept in their own ring', 10_000)),
  }, 'How many audit entries of each kind are kept', { default: {} })),
}, 'Where revocations, the dynamic RBAC policy and the audit trail are kept', { default: {} });
