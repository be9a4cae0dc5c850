// The `store` section's shape and defaults: Redis for a fleet, or the embedded SQLite file for one instance.
import { duration, integer, mapping, optional, text } from './kinds.js';

/** `store.path` when the config does not say: next to the config file. */
export const DEFAULT_STATE_FILE = 'permgate-state.db';

export const StoreSchema = mapping({
  redis: optional(text('redis:// or rediss:// URL of the shared store; empty: the embedded store (single instance)', { default: '', allowEmpty: true })),
  commandTimeout: optional(duration('Each Redis command on the request path gives up after this long', '50ms')),
  path: optional(text('The embedded store\'s SQLite file, relative to the config file; `memory`: not kept', { default: DEFAULT_STATE_FILE })),
  audit: optional(mapping({
    changes: optional(integer(100, 10_000_000, 'Admin changes kept in the audit trail', 100_000)),
    denials: optional(integer(100, 1_000_000, 'Sampled denials kept in their own ring', 10_000)),
  }, 'How many audit entries of each kind are kept', { default: {} })),
}, 'Where revocations, the dynamic RBAC policy and the audit trail are kept', { default: {} });
