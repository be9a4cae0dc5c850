// Revocations shared by every instance through Redis, on a versioned feed (redis-feed.ts): each write is one script
// (change + version bump + announcement); each instance keeps a local mirror, applies announced changes in version
// order and reloads it whole when it may have missed one. A request never waits for Redis.
import type { RedisClient } from './redis-connection.js';
import type { VerifiedToken } from '../../auth/claims.js';
import { RevocationMirror, type RevocationList, type RevocationListener, type RevocationSnapshot, type RevokedEntries, type RevokedSubject, type RevokedToken } from '../../auth/revocation-list.js';
import type { Announced } from '../feed.js';
import { feedScript } from './feed-script.js';
import { RedisFeed } from './redis-feed.js';
import { storeUnavailable } from './store-unavailable.js';

// One hash tag, so every key lives in one cluster slot and the script and MULTI work on a cluster. Requests never read
// these keys (the mirror answers), so that slot's master sees only writes, resyncs and the periodic checks: nothing
// to spread.
const TOKENS = '{permgate:revocation}:tokens';
const SUBJECTS = '{permgate:revocation}:subjects';
const VERSION = '{permgate:revocation}:version';
const EPOCH = '{permgate:revocation}:epoch';
export const REVOCATION_CHANNEL = 'permgate:revocation:changes';
/** The channel on a cluster (sharded pub/sub): in the keys' slot, as SPUBLISH from their script requires. */
export const REVOCATION_SHARD_CHANNEL = '{permgate:revocation}:changes';

/** Expired tokens leave the mirror this often (checks ignore them anyway): housekeeping, as the memory list does. */
const PRUNE_INTERVAL_MS = 60_000;

/**
 * KEYS: tokens, subjects. ARGV: op, then per op: token (jti, exp, now), subject (subject, before), restore (subject).
 * The change to announce, or nil when nothing changed.
 */
const REVOKE = feedScript(
  'permgateRevoke',
  `
local op = ARGV[1]
if op == 'token' then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[4])
  return { op = 'token', jti = ARGV[2], exp = tonumber(ARGV[3]) }
elseif op == 'subject' then
  local before = tonumber(ARGV[3])
  local stored = tonumber(redis.call('HGET', KEYS[2], ARGV[2]))
  if stored and stored > before then before = stored end
  redis.call('HSET', KEYS[2], ARGV[2], before)
  return { op = 'subject', subject = ARGV[2], before = before }
elseif op == 'restore' then
  if redis.call('HDEL', KEYS[2], ARGV[2]) == 0 then return nil end
  return { op = 'restore', subject = ARGV[2] }
end
error('unknown op')
`,
);

type Change =
  | { readonly op: 'token'; readonly jti: string; readonly exp: number }
  | { readonly op: 'subject'; readonly subject: string; readonly before: number }
  | { readonly op: 'restore'; readonly subject: string };

export interface RedisRevocationOptions {
  readonly syncInterval: number;
  readonly now?: () => number;
  /** Called when the mirror had to be reloaded whole (a gap in versions, a reconnect). */
  readonly onResync?: (reason: string) => void;
  /** Called when a reload found the store had lost revocations this instance still holds (and keeps). */
  readonly onKept?: (kept: number) => void;
}

export class RedisRevocationList implements RevocationList {
  readonly #client: RedisClient;
  readonly #feed: RedisFeed<Change>;
  readonly #mirror: RevocationMirror;
  readonly #options: RedisRevocationOptions;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  /** Revocations the store lost and this instance still holds, until written back (#owedBack). */
  readonly #toGiveBack = { tokens: new Map<string, number>(), subjects: new Map<string, number>() };
  #givingBack = false;

  constructor(client: RedisClient, options: RedisRevocationOptions) {
    this.#client = client;
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#mirror = new RevocationMirror(this.#now);
    this.#feed = new RedisFeed(client, {
      keys: { version: VERSION, epoch: EPOCH, channel: REVOCATION_CHANNEL, shardChannel: REVOCATION_SHARD_CHANNEL },
      syncInterval: options.syncInterval,
      now: this.#now,
    });
  }

  async start(): Promise<void> {
    this.#timer = setInterval(() => this.#mirror.prune(), PRUNE_INTERVAL_MS);
    this.#timer.unref();
    await this.#feed.start({
      apply: (change) => this.#apply(change),
      resync: async (reason) => {
        const snapshot = await this.#load();
        // Behind what this instance applied, or in another epoch: the store lost revocations (a failover drops writes
        // not yet replicated; a Redis restarted without persistence drops all). Those this mirror holds are kept, and
        // written back, so other instances, restarts and a later restore see them again.
        const lost = snapshot.version < this.#mirror.version || reason === 'store reset' || reason === 'epoch changed';
        const kept = this.#mirror.replace(snapshot, lost);
        this.#owedBack(snapshot, kept);
        this.#options.onResync?.(reason);
      },
    });
  }

  isRevoked(token: VerifiedToken): boolean {
    return this.#mirror.isRevoked(token);
  }

  isCurrent(): boolean {
    return this.#feed.isCurrent();
  }

  confirmCurrent(): boolean | Promise<boolean> {
    return this.#feed.confirmCurrent();
  }

  async revokeToken(entry: RevokedToken): Promise<void> {
    await this.#write('token', entry.jti, entry.exp, Math.floor(this.#now() / 1000));
  }

  async revokeSubject(entry: RevokedSubject): Promise<void> {
    await this.#write('subject', entry.subject, entry.before);
  }

  async restoreSubject(subject: string): Promise<boolean> {
    return (await this.#write('restore', subject)) !== undefined;
  }

  onChange(listener: RevocationListener): () => void {
    return this.#mirror.onChange(listener);
  }

  async snapshot(): Promise<RevocationSnapshot> {
    return this.#load().catch(storeUnavailable);
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#feed.close();
  }

  /**
   * Revocations the store lost are owed back to it until a write-back succeeds: kept in the mirror through every
   * resync meanwhile (a later snapshot that still lacks them is not taken at its word).
   */
  #owedBack(snapshot: RevocationSnapshot, kept: RevokedEntries): void {
    for (const entry of kept.tokens) this.#toGiveBack.tokens.set(entry.jti, entry.exp);
    for (const entry of kept.subjects) this.#toGiveBack.subjects.set(entry.subject, Math.max(entry.before, this.#toGiveBack.subjects.get(entry.subject) ?? -Infinity));
    for (const entry of snapshot.tokens) if ((this.#toGiveBack.tokens.get(entry.jti) ?? Infinity) <= entry.exp) this.#toGiveBack.tokens.delete(entry.jti);
    for (const entry of snapshot.subjects) if ((this.#toGiveBack.subjects.get(entry.subject) ?? Infinity) <= entry.before) this.#toGiveBack.subjects.delete(entry.subject);
    for (const [jti, exp] of this.#toGiveBack.tokens) this.#mirror.addToken({ jti, exp });
    for (const [subject, before] of this.#toGiveBack.subjects) this.#mirror.addSubject({ subject, before });
    const count = this.#toGiveBack.tokens.size + this.#toGiveBack.subjects.size;
    if (count === 0) return;
    this.#options.onKept?.(kept.tokens.length + kept.subjects.length);
    // After the resync: a write waits for its own announcement, which the feed applies only once the resync is over.
    setImmediate(() => void this.#giveBack().catch(() => {}));
  }

  async #giveBack(): Promise<void> {
    if (this.#givingBack) return;
    this.#givingBack = true;
    try {
      const nowSeconds = Math.floor(this.#now() / 1000);
      for (const [jti, exp] of [...this.#toGiveBack.tokens]) {
        if (exp > nowSeconds) await this.#write('token', jti, exp, nowSeconds);
        this.#toGiveBack.tokens.delete(jti);
      }
      for (const [subject, before] of [...this.#toGiveBack.subjects]) {
        await this.#write('subject', subject, before);
        this.#toGiveBack.subjects.delete(subject);
      }
    } finally {
      // A failed write leaves the rest owed: the next resync keeps them and tries again.
      this.#givingBack = false;
    }
  }

  /** Resolves once the change is in this instance's mirror, so the admin API's answer holds here at once. */
  #write(op: Change['op'], ...args: (string | number)[]): Promise<Announced<Change> | undefined> {
    return this.#feed.write(REVOKE, [TOKENS, SUBJECTS], [op, ...args]).catch(storeUnavailable);
  }

  #apply(change: Announced<Change>): void {
    if (change.op === 'token') this.#mirror.addToken(change);
    else if (change.op === 'subject') this.#mirror.addSubject(change);
    else if (change.op === 'restore') this.#mirror.subjects.delete(change.subject);
    else throw new Error('unknown revocation change'); // the feed resyncs
    this.#mirror.version = change.version;
  }

  /** Everything in one MULTI, so the snapshot is of one moment. */
  async #load(): Promise<RevocationSnapshot> {
    const nowSeconds = Math.floor(this.#now() / 1000);
    const results = await this.#client.multi().get(VERSION).zrangebyscore(TOKENS, nowSeconds, '+inf', 'WITHSCORES').hgetall(SUBJECTS).exec();
    if (!results || results.some(([err]) => err !== null)) throw new Error('revocation snapshot failed');
    const version = Number(results[0]![1] ?? 0);
    const flat = results[1]![1] as string[];
    const tokens: RevokedToken[] = [];
    for (let i = 0; i < flat.length; i += 2) tokens.push({ jti: flat[i]!, exp: Number(flat[i + 1]) });
    const hash = results[2]![1] as Record<string, string>;
    const subjects = Object.entries(hash).map(([subject, before]) => ({ subject, before: Number(before) }));
    return { version, tokens, subjects };
  }
}
