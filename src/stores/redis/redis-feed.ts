// The versioned feed on Redis, shared by every instance (issue 11 §4). A write announces itself on a channel from
// inside its own script (feed-script.ts); each instance applies announcements in version order on a subscriber
// connection of its own, and resyncs whenever it may have missed one: on every (re)connect, on a gap, on an
// unreadable message, and when the periodic check finds the store in another epoch, behind us, or ahead of us twice in
// a row (once may be an announcement still in flight). Readers never wait for Redis; a writer waits for its own change.
// On a cluster the announcement goes out with SPUBLISH on a channel in the feed's own slot and is heard with
// SSUBSCRIBE (sharded pub/sub, Redis 7): it stays on the one shard that owns the slot instead of being copied to every
// node of the cluster, as a classic PUBLISH is. One node and Sentinel keep classic pub/sub.
import { randomUUID } from 'node:crypto';
import { Cluster } from 'ioredis';
import { MAX_WAIT_MS } from './adaptive-deadline.js';
import { subscriberClient, type RedisClient } from './redis-connection.js';
import type { Announced, Feed, FeedListener, ResyncReason } from '../feed.js';
import type { FeedScript } from './feed-script.js';

export interface RedisFeedKeys {
  /** Counts the announced changes. */
  readonly version: string;
  /**
   * A random id the first write sets. A Redis that lost its data (a restart without persistence, a flush) restarts
   * the version counter and loses this key with it, so no instance mistakes the new version 1 for its old one.
   */
  readonly epoch: string;
  /** Where one node or a Sentinel-named master announces (classic pub/sub). */
  readonly channel: string;
  /** Where a cluster announces (sharded pub/sub): in the keys' hash tag, since a script may SPUBLISH only in its slot. */
  readonly shardChannel: string;
}

export interface RedisFeedOptions {
  /** In one hash tag with the writer's keys, so each write script stays in one cluster slot. */
  readonly keys: RedisFeedKeys;
  /** The periodic check runs every syncInterval ± 20%, so a fleet started together does not hit Redis in step. */
  readonly syncInterval: number;
  readonly now?: () => number;
  /** The connection write scripts run on (the admin plane's); the feed's own connection when absent. */
  readonly writer?: RedisClient;
}

/** How long start() waits for the first sync: with Redis up a gateway starts current, with Redis down it starts. */
const FIRST_SYNC_WAIT_MS = 2_000;

/**
 * How long a decision waits for a late confirmation (confirmCurrent) before it takes the feed for stale: as long as a
 * late answer is waited for on the request path.
 */
const CONFIRM_WAIT_MS = MAX_WAIT_MS;

interface Announcement<C> {
  readonly change: Announced<C>;
  /** Absent from announcements of writers older than the epoch (RBAC before issue 11): taken to be ours. */
  readonly epoch: string | undefined;
}

interface Waiter<C> {
  readonly announcement: Announcement<C>;
  readonly done: () => void;
}

type ScriptCall = (...args: (string | number)[]) => Promise<string | null>;

export class RedisFeed<C extends object> implements Feed<C> {
  /** Checks, resync reads, and the source of the subscriber connection. */
  readonly #client: RedisClient;
  readonly #writer: RedisClient;
  readonly #keys: RedisFeedKeys;
  readonly #syncInterval: number;
  readonly #now: () => number;
  /** On a cluster: announce with SPUBLISH and listen with SSUBSCRIBE on `keys.shardChannel`. */
  readonly #sharded: boolean;
  #subscriber: RedisClient | undefined;
  /**
   * A sharded subscription's connection to its shard ended (ioredis replaces it by itself, and says so): what was
   * announced meanwhile is lost, so not current until subscribed again and resynced.
   */
  #shardLost = false;
  #listener: FeedListener<C> | undefined;
  /** The last version applied, in `#epoch` (null while the store has none). */
  #version = 0;
  #epoch: string | null = null;
  /** A resync that must succeed before the feed is current: 'start' until the first sync, or one that failed. */
  #owed: ResyncReason | undefined = 'start';
  #resyncing: Promise<void> | undefined;
  /** A subscribe-then-resync in progress: the check leaves it alone rather than start another. */
  #connecting: Promise<void> | undefined;
  /** Asked for while a resync ran: run again after it, since its read may predate the cause. */
  #resyncAgain: ResyncReason | undefined;
  /** Counts successful resyncs, so a check whose read straddled one ignores what it read. */
  #resyncs = 0;
  /** Announcements not yet next in order: a writer's own (those before it are on their way), or any during a resync. */
  #pending: Announcement<C>[] = [];
  readonly #waiters = new Set<Waiter<C>>();
  /** A version the check saw ahead of ours: resync if it is still missing at the next check. */
  #suspect: number | undefined;
  #lastSync = -Infinity;
  /** The check in flight, from the timer or from a confirmation asked for. */
  #checking: Promise<void> | undefined;
  /** The confirmation decisions wait for while the feed is late (one for all of them). */
  #confirming: Promise<boolean> | undefined;
  #confirmed: ((current: boolean) => void) | undefined;
  /**
   * A confirmation took longer than CONFIRM_WAIT_MS: until one succeeds, decisions do not wait again (a Redis that
   * holds replies without closing the connection would otherwise cost every decision the whole wait).
   */
  #confirmTimedOut = false;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #synced: () => void = () => {};
  readonly #firstSync = new Promise<void>((resolve) => (this.#synced = resolve));

  constructor(client: RedisClient, options: RedisFeedOptions) {
    this.#client = client;
    this.#writer = options.writer ?? client;
    this.#keys = options.keys;
    this.#syncInterval = options.syncInterval;
    this.#now = options.now ?? Date.now;
    this.#sharded = client instanceof Cluster;
  }

  async start(listener: FeedListener<C>): Promise<void> {
    this.#listener = listener;
    const subscriber = (this.#subscriber = subscriberClient(this.#client));
    subscriber.on('error', () => {}); // state is read from `status`; the store's own connection reports errors
    subscriber.on(this.#sharded ? 'smessage' : 'message', (_channel: string, text: string) => this.#onMessage(text));
    if (this.#sharded) {
      // A shard's subscriber connection that ends is replaced after the slots are refreshed ('subscribersReady').
      const lost = (): void => void (this.#shardLost = true);
      subscriber.on('-node', lost);
      subscriber.on('-subscriber', lost);
      subscriber.on('subscribersReady', () => void (this.#shardLost && !this.#closed && !this.#connecting && this.#connected('reconnected')));
    }
    // On every (re)connect: subscribe, then resync, since whatever was announced meanwhile is lost.
    subscriber.on('ready', () => void this.#connected(this.#owed === 'start' ? 'start' : 'reconnected'));
    this.#schedule();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#firstSync, new Promise<void>((resolve) => (timer = setTimeout(resolve, FIRST_SYNC_WAIT_MS)))]);
    clearTimeout(timer);
  }

  isCurrent(): boolean {
    return this.#connectedOwingNothing() && this.#now() - this.#lastSync < this.#syncInterval * 3;
  }

  /**
   * A burst on two cores can hold the periodic check past 3 × syncInterval while Redis and the subscription are fine:
   * a late confirmation, not a lost feed. Decisions then wait for one check sent now (shared by all of them), up to
   * CONFIRM_WAIT_MS, instead of refusing: bursts are not outages. A feed that is disconnected or owes a resync is
   * stale at once, as before.
   */
  confirmCurrent(): boolean | Promise<boolean> {
    if (this.isCurrent()) return true;
    if (!this.#connectedOwingNothing() || this.#confirmTimedOut || this.#closed) return false;
    if (this.#confirming !== undefined) return this.#confirming;
    const confirming = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => this.#settleConfirm(false, true), CONFIRM_WAIT_MS);
      timer.unref();
      this.#confirmed = (current) => {
        clearTimeout(timer);
        resolve(current);
      };
    });
    this.#confirming = confirming;
    if (this.#checking === undefined && !this.#resyncing && !this.#connecting) {
      clearTimeout(this.#timer);
      void this.#runCheck();
    }
    return confirming;
  }

  /** Nothing stands between the feed and the store but the age of its last confirmation. */
  #connectedOwingNothing(): boolean {
    return this.#owed === undefined && !this.#shardLost && this.#subscriber?.status === 'ready' && this.#client.status === 'ready';
  }

  /** The store's position was read and matched (or a resync read it whole): decisions waiting may go on. */
  #confirmedNow(): void {
    this.#lastSync = this.#now();
    this.#confirmTimedOut = false;
    this.#settleConfirm(true, false);
  }

  #settleConfirm(current: boolean, timedOut: boolean): void {
    if (timedOut) this.#confirmTimedOut = true;
    const confirmed = this.#confirmed;
    this.#confirmed = undefined;
    this.#confirming = undefined;
    confirmed?.(current);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listener = undefined;
    clearTimeout(this.#timer);
    this.#release(true);
    this.#settleConfirm(false, false);
    this.#synced();
    this.#subscriber?.disconnect();
  }

  /**
   * Runs `script` on the writer connection: the write, its version bump and its announcement in one round-trip.
   * Resolves with the change once this instance's listener has it, or undefined when the script changed nothing.
   * Rejects only when Redis did not answer.
   */
  async write(script: FeedScript, keys: readonly string[], args: readonly (string | number)[]): Promise<Announced<C> | undefined> {
    if (!(script.name in this.#writer)) this.#writer.defineCommand(script.name, { lua: script.lua });
    const run = (this.#writer as unknown as Record<string, ScriptCall>)[script.name]!;
    const { version, epoch, channel, shardChannel } = this.#keys;
    const publish = this.#sharded ? ['SPUBLISH', shardChannel] : ['PUBLISH', channel];
    const text = await run.call(this.#writer, keys.length + 2, ...keys, version, epoch, ...args, ...publish, randomUUID());
    if (text === null) return undefined;
    const announcement = decode<C>(text);
    if (announcement === undefined) throw new Error(`${script.name} returned no announcement`);
    await this.#visible(announcement);
    return announcement.change;
  }

  #connected(reason: ResyncReason): Promise<void> {
    this.#owed = reason;
    const connecting: Promise<void> = (async () => {
      try {
        const subscriber = this.#subscriber!;
        // Cleared before subscribing: a shard lost while this runs sets it again, and is resynced again.
        this.#shardLost = false;
        if (this.#sharded) await subscriber.ssubscribe(this.#keys.shardChannel);
        else await subscriber.subscribe(this.#keys.channel);
      } catch {
        if (this.#sharded) this.#shardLost = true;
        return; // still owed: the check tries again
      }
      await this.#resync(reason);
    })().finally(() => {
      if (this.#connecting !== connecting) return;
      this.#connecting = undefined;
      this.#drain();
    });
    this.#connecting = connecting;
    return connecting;
  }

  #onMessage(text: string): void {
    const announcement = decode<C>(text);
    if (announcement === undefined) return void this.#resync('unreadable message');
    this.#offer(announcement, 'channel');
  }

  /** Applies an announcement if it is next in order; otherwise keeps it for later, skips it, or resyncs. */
  #offer(announcement: Announcement<C>, from: 'channel' | 'writer'): void {
    if (this.#closed) return;
    if (this.#resyncing || this.#connecting) return void this.#pending.push(announcement);
    if (this.#owed !== undefined) return void this.#resync(this.#owed);
    const { version } = announcement.change;
    // The channel delivers in order, so a gap there is a loss; a writer's reply may just outrun the channel (and
    // the announcements before it, which tell the epoch to an instance that follows none yet).
    const ahead = version > this.#version + 1;
    if (ahead && from === 'writer' && (this.#epoch === null || this.#inEpoch(announcement))) return void this.#pending.push(announcement);
    if (!this.#inEpoch(announcement)) return void this.#resync('epoch changed');
    if (version <= this.#version) return; // already applied: our own write's echo, or a resync read past it
    if (ahead) return void this.#resync('version gap');
    this.#apply(announcement);
    this.#drain();
  }

  /** Ours; or, while we follow no epoch, one that starts at our next version (the first write since none was set). */
  #inEpoch(announcement: Announcement<C>): boolean {
    const { epoch, change } = announcement;
    return epoch === undefined || epoch === this.#epoch || (this.#epoch === null && change.version === this.#version + 1);
  }

  #apply(announcement: Announcement<C>): void {
    this.#version = announcement.change.version;
    if (announcement.epoch !== undefined) this.#epoch = announcement.epoch;
    try {
      this.#listener?.apply(announcement.change);
    } catch {
      void this.#resync('unreadable message');
    }
  }

  /** Applies the kept announcements that have become next in order, then lets the writers they served go. */
  #drain(): void {
    this.#pending.sort((a, b) => a.change.version - b.change.version);
    while (!this.#resyncing && this.#pending.length > 0 && this.#pending[0]!.change.version <= this.#version + 1) {
      const next = this.#pending.shift()!;
      if (next.change.version <= this.#version) continue;
      if (!this.#inEpoch(next)) void this.#resync('epoch changed');
      else this.#apply(next);
    }
    this.#release();
  }

  /**
   * Resolves once this instance has `announcement` applied, or a resync has covered it: a writer reads its writes.
   * Announcements before it that never arrive are the periodic check's to catch, as any lost one is.
   */
  #visible(announcement: Announcement<C>): Promise<void> {
    if (this.#listener === undefined || this.#closed) return Promise.resolve();
    this.#offer(announcement, 'writer');
    if (this.#applied(announcement)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const waiter: Waiter<C> = {
        announcement,
        done: () => {
          this.#waiters.delete(waiter);
          resolve();
        },
      };
      this.#waiters.add(waiter);
    });
  }

  #applied({ change, epoch }: Announcement<C>): boolean {
    return !this.#resyncing && !this.#connecting && this.#owed === undefined && change.version <= this.#version && (epoch === undefined || epoch === this.#epoch);
  }

  /** Lets go the writers whose change is applied here; all of them when nothing better can be done. */
  #release(all = false): void {
    for (const waiter of this.#waiters) if (all || this.#applied(waiter.announcement)) waiter.done();
  }

  /** One resync at a time; one asked for meanwhile runs after it. Never rejects: a failed one is owed. */
  #resync(reason: ResyncReason): Promise<void> {
    if (this.#resyncing) {
      this.#resyncAgain ??= reason;
      return this.#resyncing;
    }
    const run = async (): Promise<void> => {
      for (let next: ResyncReason | undefined = reason; next !== undefined && !this.#closed; ) {
        this.#resyncAgain = undefined;
        await this.#resyncOnce(next);
        next = this.#resyncAgain;
      }
    };
    this.#resyncing = run().finally(() => {
      this.#resyncing = undefined;
      this.#drain();
    });
    return this.#resyncing;
  }

  async #resyncOnce(reason: ResyncReason): Promise<void> {
    try {
      // The position first, then the listener's reload: the reload may include changes past it, which are then
      // applied again (idempotent), but it can never miss one.
      const [version, epoch] = await this.#position();
      await this.#listener?.resync(reason);
      if (this.#closed) return;
      this.#version = version;
      this.#epoch = epoch;
      this.#owed = undefined;
      this.#suspect = undefined;
      this.#resyncs++;
      this.#confirmedNow();
      this.#pending = this.#pending.filter((a) => a.change.version > version && (a.epoch === undefined || epoch === null || a.epoch === epoch));
      this.#synced();
    } catch {
      // Not current until the check's retry succeeds; writers waiting here cannot be served better meanwhile.
      this.#owed = reason;
      this.#pending = [];
      this.#release(true);
      this.#settleConfirm(false, false);
    }
  }

  async #position(): Promise<[version: number, epoch: string | null]> {
    const [version, epoch] = await this.#client.mget(this.#keys.version, this.#keys.epoch);
    return [Number(version ?? 0), epoch ?? null];
  }

  #schedule(): void {
    if (this.#closed) return;
    const delay = this.#syncInterval * (0.8 + Math.random() * 0.4);
    this.#timer = setTimeout(() => void this.#runCheck(), delay);
    this.#timer.unref();
  }

  /** One check at a time, whoever asked for it; the next is scheduled from its end. */
  #runCheck(): Promise<void> {
    this.#checking ??= this.#check().finally(() => {
      this.#checking = undefined;
      // A check that confirmed nothing (unreachable, a resync started or owed) leaves waiting decisions to the
      // resync's outcome or to their timeout; with nothing left to wait for, they are answered now.
      if (this.#confirming !== undefined && !this.#resyncing && !this.#connecting && this.#now() - this.#lastSync >= this.#syncInterval * 3) this.#settleConfirm(false, false);
      this.#schedule();
    });
    return this.#checking;
  }

  /** Compares the store's position with ours: the catch-all for announcements lost without a trace. */
  async #check(): Promise<void> {
    if (this.#resyncing || this.#connecting) return;
    if (this.#owed !== undefined || this.#shardLost) {
      if (this.#subscriber?.status === 'ready') await this.#connected(this.#owed ?? 'reconnected');
      else this.#release(true); // no resync without the subscription: writers waiting here go
      return;
    }
    const before = { version: this.#version, epoch: this.#epoch, resyncs: this.#resyncs };
    let version: number;
    let epoch: string | null;
    try {
      [version, epoch] = await this.#position();
    } catch {
      // Unreachable: isCurrent() turns false as the last sync ages, and the next check tries again. Writers waiting
      // for their change here cannot be served better meanwhile.
      return this.#release(true);
    }
    if (this.#closed || this.#resyncing || this.#owed !== undefined || this.#resyncs !== before.resyncs) return;
    // We only apply what the store had committed before the read was sent, and within an epoch the version never
    // goes back: a lower version, or an epoch we did not follow, means the store lost its data.
    const lost = version < before.version || (epoch !== before.epoch && (before.epoch !== null || version <= before.version));
    if (lost) return void this.#resync('store reset');
    if (version > this.#version) {
      // An announcement may be on its way; still missing at the next check, it was lost.
      if (this.#suspect !== undefined && this.#version < this.#suspect) return void this.#resync('version check');
      this.#suspect = version;
    } else this.#suspect = undefined;
    this.#confirmedNow();
  }
}

/** An announcement as published, or undefined when it is not one (then the instance resyncs). */
function decode<C>(text: string): Announcement<C> | undefined {
  try {
    const { epoch, ...change } = JSON.parse(text) as { epoch?: unknown; version?: unknown };
    if (!Number.isSafeInteger(change.version) || (epoch !== undefined && typeof epoch !== 'string')) return undefined;
    return { change: change as Announced<C>, epoch };
  } catch {
    return undefined;
  }
}
