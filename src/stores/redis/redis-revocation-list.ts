// Revocations shared by every instance through Redis. Writes are one MULTI (change + version bump + publish);
// each instance keeps a local mirror, applies published changes in version order, and compares versions on a
// timer so a missed message is caught. A request never waits for Redis.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { VerifiedToken } from '../../auth/claims.js';
import { RevocationMirror, type RevocationList, type RevocationSnapshot, type RevokedSubject, type RevokedToken } from '../../auth/revocation-list.js';
import { storeUnavailable } from './store-unavailable.js';

// One hash tag, so every key lives in one cluster slot and MULTI works on a cluster.
const TOKENS = '{permgate:revocation}:tokens';
const SUBJECTS = '{permgate:revocation}:subjects';
const VERSION = '{permgate:revocation}:version';
/**
 * A random id written with the first change. A Redis that lost its data (restart without persistence, flush)
 * restarts the version counter; the epoch changes with it, so no instance mistakes new version 1 for its old one.
 */
const EPOCH = '{permgate:revocation}:epoch';
export const REVOCATION_CHANNEL = 'permgate:revocation:changes';

/**
 * KEYS: version, tokens, subjects, epoch. ARGV: channel, op, a new epoch in case there is none, then per op:
 * token (jti, exp, now), subject (subject, before), restore (subject). Returns the published change as JSON, or nil
 * when nothing changed.
 */
const REVOKE_SCRIPT = `
local channel, op, newEpoch = ARGV[1], ARGV[2], ARGV[3]
local change
if op == 'token' then
  redis.call('ZADD', KEYS[2], ARGV[5], ARGV[4])
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[6])
  change = { op = 'token', jti = ARGV[4], exp = tonumber(ARGV[5]) }
elseif op == 'subject' then
  local before = tonumber(ARGV[5])
  local stored = tonumber(redis.call('HGET', KEYS[3], ARGV[4]))
  if stored and stored > before then before = stored end
  redis.call('HSET', KEYS[3], ARGV[4], before)
  change = { op = 'subject', subject = ARGV[4], before = before }
elseif op == 'restore' then
  if redis.call('HDEL', KEYS[3], ARGV[4]) == 0 then return nil end
  change = { op = 'restore', subject = ARGV[4] }
else
  return redis.error_reply('unknown op')
end
local epoch = redis.call('GET', KEYS[4])
if not epoch then
  epoch = newEpoch
  redis.call('SET', KEYS[4], epoch)
end
change.epoch = epoch
change.version = redis.call('INCR', KEYS[1])
local text = cjson.encode(change)
redis.call('PUBLISH', channel, text)
return text
`;

type RevocationCommands = Redis & {
  permgateRevoke(...args: (string | number)[]): Promise<unknown>;
};

type Change = { readonly epoch: string; readonly version: number } & (
  | { readonly op: 'token'; readonly jti: string; readonly exp: number }
  | { readonly op: 'subject'; readonly subject: string; readonly before: number }
  | { readonly op: 'restore'; readonly subject: string }
);

export interface RedisRevocationOptions {
  readonly syncInterval: number;
  readonly now?: () => number;
  /** Called when the mirror had to be reloaded whole (a gap in versions, a reconnect). */
  readonly onResync?: (reason: string) => void;
}

export class RedisRevocationList implements RevocationList {
  readonly #client: Redis;
  readonly #subscriber: Redis;
  readonly #mirror: RevocationMirror;
  readonly #options: RedisRevocationOptions;
  readonly #now: () => number;
  #lastSync = -Infinity;
  /** The epoch the mirror's version belongs to; null while Redis has never had a change. */
  #epoch: string | null = null;
  #reloading: Promise<void> | undefined;
  #reloadAgain = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(client: Redis, options: RedisRevocationOptions) {
    this.#client = client;
    if (!('permgateRevoke' in client)) client.defineCommand('permgateRevoke', { numberOfKeys: 4, lua: REVOKE_SCRIPT });
    this.#subscriber = client.duplicate();
    this.#subscriber.on('error', () => {}); // state is read from `status`; the main client reports errors
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#mirror = new RevocationMirror(this.#now);
  }

  async start(): Promise<void> {
    this.#subscriber.on('message', (_channel: string, message: string) => this.#onMessage(message));
    // On every (re)connect: subscribe, then reload whole, since messages sent meanwhile are lost.
    this.#subscriber.on('ready', () => void this.#resubscribe());
    this.#timer = setInterval(() => void this.#checkVersion(), this.#options.syncInterval);
    this.#timer.unref();
    // Wait briefly for a first sync, so a gateway that starts with Redis up starts current; with Redis down it
    // starts not current and routes follow their onStoreDown until Redis returns.
    const synced = new Promise<void>((resolve) => this.#subscriber.once('permgate:synced', resolve));
    // The connection may have become ready before the handler above was attached.
    if (this.#subscriber.status === 'ready') void this.#resubscribe();
    await Promise.race([synced, new Promise<void>((resolve) => setTimeout(resolve, 2_000).unref())]);
  }

  async #resubscribe(): Promise<void> {
    try {
      await this.#subscriber.subscribe(REVOCATION_CHANNEL);
      await this.#reload('reconnected');
      this.#subscriber.emit('permgate:synced');
    } catch {
      // The version check keeps trying; isCurrent() stays false meanwhile.
    }
  }

  isRevoked(token: VerifiedToken): boolean {
    return this.#mirror.isRevoked(token);
  }

  isCurrent(): boolean {
    return (
      this.#subscriber.status === 'ready' &&
      this.#client.status === 'ready' &&
      this.#now() - this.#lastSync < this.#options.syncInterval * 3
    );
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

  async snapshot(): Promise<RevocationSnapshot> {
    const { epoch: _epoch, ...snapshot } = await this.#load().catch(storeUnavailable);
    return snapshot;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#subscriber.disconnect();
  }

  /** One script: the change, its version bump and its publication commit together, in one round-trip. */
  async #write(op: Change['op'], ...args: (string | number)[]): Promise<Change | undefined> {
    const commands = this.#client as RevocationCommands;
    const text = (await commands.permgateRevoke(VERSION, TOKENS, SUBJECTS, EPOCH, REVOCATION_CHANNEL, op, randomUUID(), ...args).catch(storeUnavailable)) as string | null;
    if (text === null) return undefined;
    const change = JSON.parse(text) as Change;
    await this.#apply(change);
    return change;
  }

  #onMessage(text: string): void {
    let change: Change;
    try {
      change = JSON.parse(text) as Change;
    } catch {
      return void this.#reload('unreadable message');
    }
    void this.#apply(change);
  }

  /**
   * Applies a change in version order, or reloads whole when it cannot (a gap, another epoch). Returns the reload
   * when one is needed, so a writer can wait until its own change is visible on this instance.
   */
  #apply(change: Change): Promise<void> | undefined {
    if (this.#reloading) {
      this.#reloadAgain = true;
      return this.#reloading;
    }
    if (change.epoch !== this.#epoch) return this.#reload('epoch changed');
    if (change.version <= this.#mirror.version) return undefined; // already seen (our own write, or a reload included it)
    if (change.version !== this.#mirror.version + 1) return this.#reload('version gap');
    if (change.op === 'token') this.#mirror.addToken(change);
    else if (change.op === 'subject') this.#mirror.addSubject(change);
    else this.#mirror.subjects.delete(change.subject);
    this.#mirror.version = change.version;
    return undefined;
  }

  async #checkVersion(): Promise<void> {
    try {
      const [version, epoch] = await this.#client.mget(VERSION, EPOCH);
      if (Number(version ?? 0) !== this.#mirror.version || (epoch ?? null) !== this.#epoch) await this.#reload('version check');
      else this.#lastSync = this.#now();
      this.#mirror.prune();
    } catch {
      // Unreachable: isCurrent() turns false once lastSync ages; the next tick tries again.
    }
  }

  #reload(reason: string): Promise<void> {
    this.#reloading ??= (async () => {
      try {
        do {
          this.#reloadAgain = false;
          const { epoch, ...snapshot } = await this.#load();
          this.#mirror.replace(snapshot);
          this.#epoch = epoch;
          this.#lastSync = this.#now();
        } while (this.#reloadAgain);
        this.#options.onResync?.(reason);
      } catch {
        // Stays not current; the version check retries.
      } finally {
        this.#reloading = undefined;
      }
    })();
    return this.#reloading;
  }

  async #load(): Promise<RevocationSnapshot & { readonly epoch: string | null }> {
    const nowSeconds = Math.floor(this.#now() / 1000);
    const results = await this.#client.multi().get(VERSION).zrangebyscore(TOKENS, nowSeconds, '+inf', 'WITHSCORES').hgetall(SUBJECTS).get(EPOCH).exec();
    if (!results || results.some(([err]) => err !== null)) throw new Error('revocation snapshot failed');
    const version = Number(results[0]![1] ?? 0);
    const flat = results[1]![1] as string[];
    const tokens: RevokedToken[] = [];
    for (let i = 0; i < flat.length; i += 2) tokens.push({ jti: flat[i]!, exp: Number(flat[i + 1]) });
    const hash = results[2]![1] as Record<string, string>;
    const subjects = Object.entries(hash).map(([subject, before]) => ({ subject, before: Number(before) }));
    return { version, tokens, subjects, epoch: (results[3]![1] as string | null) ?? null };
  }
}
