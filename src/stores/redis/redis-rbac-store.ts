// Dynamic RBAC data shared by every instance, on a versioned feed (redis-feed.ts). Each write is one script: compare
// the stamp, write, bump the version, announce what changed — so a write is atomic, never lost to a concurrent one,
// and announced exactly once. Each instance applies announcements in version order; whenever one may have been
// missed, the feed resyncs and the instance drops everything it compiled.
import type { RedisClient } from './redis-connection.js';
import { GatewayError } from '../../errors.js';
import type { RoleDefinition, SubjectRecord } from '../../rbac/model.js';
import type { RbacChange, RbacStore, RbacWrite, Stamped } from '../../rbac/rbac-store.js';
import { feedScript } from './feed-script.js';
import { RedisFeed } from './redis-feed.js';
import { storeUnavailable } from './store-unavailable.js';

// One hash tag: every key in one cluster slot, so the scripts work on a cluster.
const SUBJECTS = '{permgate:rbac}:subjects';
const ROLES = '{permgate:rbac}:roles';
const ROLES_REVISION = '{permgate:rbac}:roles-revision';
const VERSION = '{permgate:rbac}:version';
/** New with the feed (issue 11 §4): a Redis flushed and refilled to the same version is told apart by it. */
const EPOCH = '{permgate:rbac}:epoch';
export const RBAC_CHANNEL = 'permgate:rbac:changes';

/** KEYS: subjects. ARGV: subject, stamp, next JSON ('' deletes). Nil on a conflict. */
const WRITE_SUBJECT = feedScript(
  'permgateRbacSubject',
  `
local current = redis.call('HGET', KEYS[1], ARGV[1]) or ''
if current ~= ARGV[2] then return nil end
if ARGV[3] == '' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
return { kind = 'subject', name = ARGV[1] }
`,
);

/** KEYS: roles, roles revision. ARGV: role, stamp, next JSON ('' deletes). Nil on a conflict. */
const WRITE_ROLE = feedScript(
  'permgateRbacRole',
  `
local current = redis.call('GET', KEYS[2]) or '0'
if current ~= ARGV[2] then return nil end
if ARGV[3] == '' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
redis.call('INCR', KEYS[2])
return { kind = 'role', name = ARGV[1] }
`,
);

export interface RedisRbacOptions {
  readonly syncInterval: number;
  readonly now?: () => number;
  /** The connection for admin writes, listings and role loads (a longer timeout); the request path's otherwise. */
  readonly admin?: RedisClient;
}

export class RedisRbacStore implements RbacStore {
  /** Subject loads on the request path, and the feed's subscription and checks. */
  readonly #client: RedisClient;
  /** Writes, listings and role loads: the admin plane's and background work's connection. */
  readonly #admin: RedisClient;
  readonly #feed: RedisFeed<RbacWrite>;

  constructor(client: RedisClient, options: RedisRbacOptions) {
    this.#client = client;
    this.#admin = options.admin ?? client;
    this.#feed = new RedisFeed(client, {
      keys: { version: VERSION, epoch: EPOCH, channel: RBAC_CHANNEL },
      syncInterval: options.syncInterval,
      now: options.now,
      writer: this.#admin,
    });
  }

  async start(onChange: (change: RbacChange) => void): Promise<void> {
    await this.#feed.start({ apply: onChange, resync: (reason) => onChange({ kind: 'resync', reason }) });
  }

  async close(): Promise<void> {
    await this.#feed.close();
  }

  isCurrent(): boolean {
    return this.#feed.isCurrent();
  }

  async loadRoles(): Promise<Stamped<ReadonlyMap<string, RoleDefinition>>> {
    const results = await this.#admin.multi().get(ROLES_REVISION).hgetall(ROLES).exec().catch(storeUnavailable);
    if (!results || results.some(([err]) => err !== null)) throw new Error('RBAC roles could not be read');
    const roles = new Map<string, RoleDefinition>();
    for (const [name, text] of Object.entries(results[1]![1] as Record<string, string>)) roles.set(name, JSON.parse(text) as RoleDefinition);
    return { value: roles, stamp: (results[0]![1] as string | null) ?? '0' };
  }

  async loadSubject(subject: string): Promise<Stamped<SubjectRecord>> {
    const text = await this.#client.hget(SUBJECTS, subject);
    return { value: text === null ? undefined : (JSON.parse(text) as SubjectRecord), stamp: text ?? '' };
  }

  async listSubjects(cursor: string, count: number): Promise<{ subjects: string[]; cursor: string }> {
    // HSCAN takes an unsigned 64-bit number; anything else is refused here rather than by Redis (a 500).
    if (cursor !== '' && (!/^\d{1,20}$/.test(cursor) || BigInt(cursor) >= 2n ** 64n)) throw new GatewayError('PG_ADMIN_BAD_INPUT', { detail: '"cursor" is not one this list gave out' });
    const [next, flat] = await this.#admin.hscan(SUBJECTS, cursor === '' ? '0' : cursor, 'COUNT', count).catch(storeUnavailable);
    const subjects: string[] = [];
    for (let i = 0; i < flat.length; i += 2) subjects.push(flat[i]!);
    return { subjects, cursor: next };
  }

  async writeSubject(subject: string, stamp: string, next: SubjectRecord | undefined): Promise<boolean> {
    const written = await this.#feed.write(WRITE_SUBJECT, [SUBJECTS], [subject, stamp, next === undefined ? '' : JSON.stringify(next)]).catch(storeUnavailable);
    return written !== undefined;
  }

  async writeRole(name: string, stamp: string, next: RoleDefinition | undefined): Promise<boolean> {
    const written = await this.#feed.write(WRITE_ROLE, [ROLES, ROLES_REVISION], [name, stamp, next === undefined ? '' : JSON.stringify(next)]).catch(storeUnavailable);
    return written !== undefined;
  }
}
