// Dynamic RBAC data shared by every instance, on a versioned feed (redis-feed.ts), laid out for a cluster (issue 12).
// The hot read is one subject's record on a cache miss, so each subject is a key with its own hash tag,
// `permgate:rbac:subject:{<subject>}`: 100,000 subjects' misses spread over every master instead of all landing on the
// one that owns a shared hash. (Not N bucket hashes: N would have to be chosen against a master count that changes,
// a new N moves every subject, and each bucket stays one big key; Redis's 16,384 slots already are the buckets.)
// Roles (few, loaded whole), the version, epoch, subject index and the announcements stay in the `{permgate:rbac}`
// slot, so role writes remain one script. A subject write spans two slots, so it is four steps, each atomic in its
// own slot, the record written before it is announced:
//   1. an intent (`{permgate:rbac}:intents`, scored by Redis's clock) that a write of this subject is under way;
//   2. the compare-and-set of the subject's key;
//   3. the feed's script: index the subject, bump the version, announce;
//   4. the intent goes. Not inside step 3: Redis does not roll back a script that fails midway, so an intent dropped
//      before a failing announcement would leave a change nobody hears of.
// The data is written before it is announced, so an instance that reloads on the announcement reads the new record;
// one that loaded it meanwhile has its load marked stale by the announcement. A write whose announcement fails is
// reported as failed, and its intent stays: every instance sweeps intents older than a writer could still be at work
// (INTENT_STALE_S) and announces them, so a writer that died between steps 2 and 4 costs at most that long (and at
// worst an announcement twice), never a change nobody hears of. Subjects stored by permgate before this layout (one hash, `{permgate:rbac}:subjects`) are
// moved to their own keys on every resync, the first at start, before the instance drops what it compiled.
import { randomUUID } from 'node:crypto';
import type { RedisClient } from './redis-connection.js';
import { GatewayError } from '../../errors.js';
import type { RoleDefinition, SubjectRecord } from '../../rbac/model.js';
import type { RbacChange, RbacStore, RbacWrite, Stamped } from '../../rbac/rbac-store.js';
import type { AdaptiveDeadline } from './adaptive-deadline.js';
import { feedScript } from './feed-script.js';
import { RedisFeed } from './redis-feed.js';
import { storeUnavailable } from './store-unavailable.js';

const ROLES = '{permgate:rbac}:roles';
const ROLES_REVISION = '{permgate:rbac}:roles-revision';
const VERSION = '{permgate:rbac}:version';
/** New with the feed (issue 11 §4): a Redis flushed and refilled to the same version is told apart by it. */
const EPOCH = '{permgate:rbac}:epoch';
/** Every subject with a record, for the admin API's listing (the records themselves are spread over the cluster). */
const SUBJECT_INDEX = '{permgate:rbac}:subject-index';
/** Subject writes under way: `<id> <subject>` scored by Redis's clock in seconds when the write began. */
const INTENTS = '{permgate:rbac}:intents';
/** The one hash all subjects lived in before issue 12: read only to move them to their own keys. */
const LEGACY_SUBJECTS = '{permgate:rbac}:subjects';
export const RBAC_CHANNEL = 'permgate:rbac:changes';
/** The channel on a cluster (sharded pub/sub): in the feed's slot, as SPUBLISH from its scripts requires. */
export const RBAC_SHARD_CHANNEL = '{permgate:rbac}:changes';

/** Where one subject's record lives: its own hash tag, so subjects spread over a cluster's slots. */
export function subjectKey(subject: string): string {
  return `permgate:rbac:subject:{${subject}}`;
}

/**
 * An intent this old is announced by whoever sweeps: longer than the admin connection's command timeout (2 s) twice
 * over, so its compare-and-set can no longer be in flight when the sweep announces it.
 */
const INTENT_STALE_S = 5;
const SWEEP_INTERVAL_MS = 1_000;

/** KEYS: intents. ARGV: the intent's member. Scored by Redis's clock, so instances' clocks never matter. */
const BEGIN = `redis.call('ZADD', KEYS[1], redis.call('TIME')[1], ARGV[1])`;

/** KEYS: intents. ARGV: age in seconds. The intents at least that old. */
const STALE_INTENTS = `return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', redis.call('TIME')[1] - tonumber(ARGV[1]))`;

/** KEYS: the subject's key. ARGV: stamp, next JSON ('' deletes). 1 when written, 0 on a conflict. */
const COMPARE_AND_SET = `
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[1] then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2]) end
return 1
`;

/** KEYS: old hash, index. ARGV: subject, its record as moved. Drops it from the old hash unless rewritten meanwhile. */
const FORGET_LEGACY = `
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[1])
return 1
`;

/** KEYS: index. ARGV: subject, '1' when it now has a record. Always announces. */
const ANNOUNCE_SUBJECT = feedScript(
  'permgateRbacSubjectAnnounce',
  `
if ARGV[2] == '1' then redis.call('SADD', KEYS[1], ARGV[1]) else redis.call('SREM', KEYS[1], ARGV[1]) end
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
  /** The connection for admin writes, listings, role loads and the feed (a longer timeout); the request path's otherwise. */
  readonly admin?: RedisClient;
  /**
   * Where a cold subject's record is read on the request path, under the connection's adaptive deadline, so a burst
   * that makes Redis late is waited for and only a silent Redis is an outage. Absent: `client`, with its own timeout.
   */
  readonly loads?: { readonly client: RedisClient; readonly deadline: AdaptiveDeadline };
}

export class RedisRbacStore implements RbacStore {
  /** Subject loads on the request path. */
  readonly #client: RedisClient;
  readonly #deadline: AdaptiveDeadline | undefined;
  /**
   * Writes, listings, role loads, the sweep and moves, and the feed's subscription, checks and resyncs: a check that
   * gave up at a request-path timeout during a burst would age the feed into "not current" and refuse sensitive routes.
   */
  readonly #admin: RedisClient;
  readonly #feed: RedisFeed<RbacWrite>;
  #sweeper: NodeJS.Timeout | undefined;

  constructor(client: RedisClient, options: RedisRbacOptions) {
    this.#client = options.loads?.client ?? client;
    this.#deadline = options.loads?.deadline;
    this.#admin = options.admin ?? client;
    this.#feed = new RedisFeed(this.#admin, {
      keys: { version: VERSION, epoch: EPOCH, channel: RBAC_CHANNEL, shardChannel: RBAC_SHARD_CHANNEL },
      syncInterval: options.syncInterval,
      now: options.now,
      writer: this.#admin,
    });
  }

  async start(onChange: (change: RbacChange) => void): Promise<void> {
    this.#sweeper = setInterval(() => void this.#sweep().catch(() => {}), SWEEP_INTERVAL_MS);
    this.#sweeper.unref();
    await this.#feed.start({
      apply: onChange,
      resync: async (reason) => {
        await this.#moveLegacySubjects();
        onChange({ kind: 'resync', reason });
      },
    });
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    await this.#feed.close();
  }

  isCurrent(): boolean {
    return this.#feed.isCurrent();
  }

  confirmCurrent(): boolean | Promise<boolean> {
    return this.#feed.confirmCurrent();
  }

  async loadRoles(): Promise<Stamped<ReadonlyMap<string, RoleDefinition>>> {
    const results = await this.#admin.multi().get(ROLES_REVISION).hgetall(ROLES).exec().catch(storeUnavailable);
    if (!results || results.some(([err]) => err !== null)) throw new Error('RBAC roles could not be read');
    const roles = new Map<string, RoleDefinition>();
    for (const [name, text] of Object.entries(results[1]![1] as Record<string, string>)) roles.set(name, JSON.parse(text) as RoleDefinition);
    return { value: roles, stamp: (results[0]![1] as string | null) ?? '0' };
  }

  async loadSubject(subject: string): Promise<Stamped<SubjectRecord>> {
    const read = this.#client.get(subjectKey(subject));
    const text = this.#deadline === undefined ? await read : await this.#deadline.answered(read);
    return { value: text === null ? undefined : (JSON.parse(text) as SubjectRecord), stamp: text ?? '' };
  }

  async listSubjects(cursor: string, count: number): Promise<{ subjects: string[]; cursor: string }> {
    // SSCAN takes an unsigned 64-bit number; anything else is refused here rather than by Redis (a 500).
    if (cursor !== '' && (!/^\d{1,20}$/.test(cursor) || BigInt(cursor) >= 2n ** 64n)) throw new GatewayError('PG_ADMIN_BAD_INPUT', { detail: '"cursor" is not one this list gave out' });
    const [next, subjects] = await this.#admin.sscan(SUBJECT_INDEX, cursor === '' ? '0' : cursor, 'COUNT', count).catch(storeUnavailable);
    return { subjects, cursor: next };
  }

  async writeSubject(subject: string, stamp: string, next: SubjectRecord | undefined): Promise<boolean> {
    const intent = `${randomUUID()} ${subject}`;
    const text = next === undefined ? '' : JSON.stringify(next);
    await this.#admin.eval(BEGIN, 1, INTENTS, intent).catch(storeUnavailable);
    const written = await this.#admin.eval(COMPARE_AND_SET, 1, subjectKey(subject), stamp, text).catch(storeUnavailable);
    if (written !== 1) {
      // Nothing changed: the intent only has to go (if this fails, the sweep announces a change that was none).
      await this.#admin.zrem(INTENTS, intent).catch(() => {});
      return false;
    }
    await this.#announceSubject(subject, next !== undefined, intent).catch(storeUnavailable);
    return true;
  }

  async writeRole(name: string, stamp: string, next: RoleDefinition | undefined): Promise<boolean> {
    const written = await this.#feed.write(WRITE_ROLE, [ROLES, ROLES_REVISION], [name, stamp, next === undefined ? '' : JSON.stringify(next)]).catch(storeUnavailable);
    return written !== undefined;
  }

  /** Announces, then drops the intent; an intent that fails to go is announced again by a sweep, which is harmless. */
  async #announceSubject(subject: string, present: boolean, intent: string): Promise<void> {
    await this.#feed.write(ANNOUNCE_SUBJECT, [SUBJECT_INDEX], [subject, present ? '1' : '0']);
    await this.#admin.zrem(INTENTS, intent).catch(() => {});
  }

  /** Announces the subject writes whose writer stopped between its compare-and-set and its announcement. */
  async #sweep(): Promise<void> {
    const stale = (await this.#admin.eval(STALE_INTENTS, 1, INTENTS, INTENT_STALE_S)) as string[];
    for (const intent of stale) {
      const subject = intent.slice(intent.indexOf(' ') + 1);
      await this.#announceSubject(subject, (await this.#admin.exists(subjectKey(subject))) === 1, intent);
    }
  }

  /**
   * Moves subjects from the pre-cluster hash to their own keys. A key that already exists was written since, by this
   * layout, and wins; an old-hash entry rewritten during the move stays for the next resync. Runs before every resync's drop of compiled subjects, so nothing compiled from before the move
   * outlives it.
   */
  async #moveLegacySubjects(): Promise<void> {
    if ((await this.#admin.hlen(LEGACY_SUBJECTS)) === 0) return;
    let cursor = '0';
    do {
      const [next, flat] = await this.#admin.hscan(LEGACY_SUBJECTS, cursor, 'COUNT', 500);
      for (let i = 0; i < flat.length; i += 2) {
        const subject = flat[i]!;
        await this.#admin.set(subjectKey(subject), flat[i + 1]!, 'NX');
        await this.#admin.eval(FORGET_LEGACY, 2, LEGACY_SUBJECTS, SUBJECT_INDEX, subject, flat[i + 1]!);
      }
      cursor = next;
    } while (cursor !== '0');
  }
}
