// Dynamic RBAC data shared by every instance. Each write is one script: compare the stamp, write, bump the version,
// publish what changed — so a write is atomic, never lost to a concurrent one, and announced exactly once. Each
// instance applies announcements in version order; a gap, a reconnect or a version that does not match on the
// periodic check means changes were missed, and the instance drops everything it compiled (a resync).
import type { Redis } from 'ioredis';
import { GatewayError } from '../../errors.js';
import type { RoleDefinition, SubjectRecord } from '../../rbac/model.js';
import type { RbacChange, RbacStore, Stamped } from '../../rbac/rbac-store.js';
import { storeUnavailable } from './store-unavailable.js';

// One hash tag: every key in one cluster slot, so the scripts work on a cluster.
const SUBJECTS = '{permgate:rbac}:subjects';
const ROLES = '{permgate:rbac}:roles';
const ROLES_REVISION = '{permgate:rbac}:roles-revision';
const VERSION = '{permgate:rbac}:version';
export const RBAC_CHANNEL = 'permgate:rbac:changes';

/** KEYS: subjects, version. ARGV: channel, subject, stamp, next JSON ('' deletes). Returns the version, or 0 on conflict. */
const WRITE_SUBJECT = `
local current = redis.call('HGET', KEYS[1], ARGV[2]) or ''
if current ~= ARGV[3] then return 0 end
if ARGV[4] == '' then redis.call('HDEL', KEYS[1], ARGV[2]) else redis.call('HSET', KEYS[1], ARGV[2], ARGV[4]) end
local version = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[1], cjson.encode({ kind = 'subject', name = ARGV[2], version = version }))
return version
`;

/** KEYS: roles, roles revision, version. ARGV: channel, role, stamp, next JSON ('' deletes). */
const WRITE_ROLE = `
local current = redis.call('GET', KEYS[2]) or '0'
if current ~= ARGV[3] then return 0 end
if ARGV[4] == '' then redis.call('HDEL', KEYS[1], ARGV[2]) else redis.call('HSET', KEYS[1], ARGV[2], ARGV[4]) end
redis.call('INCR', KEYS[2])
local version = redis.call('INCR', KEYS[3])
redis.call('PUBLISH', ARGV[1], cjson.encode({ kind = 'role', name = ARGV[2], version = version }))
return version
`;

type RbacCommands = Redis & {
  permgateRbacSubject(...args: string[]): Promise<number>;
  permgateRbacRole(...args: string[]): Promise<number>;
};

export interface RedisRbacOptions {
  readonly syncInterval: number;
  readonly now?: () => number;
  /** The connection for admin writes, listings and role loads (a longer timeout); the request path's otherwise. */
  readonly admin?: Redis;
}

export class RedisRbacStore implements RbacStore {
  readonly #client: RbacCommands;
  /** Writes, listings and role loads: the admin plane's and background work's connection. */
  readonly #admin: RbacCommands;
  readonly #subscriber: Redis;
  readonly #options: RedisRbacOptions;
  readonly #now: () => number;
  #listener: ((change: RbacChange) => void) | undefined;
  /** The last version applied; -1 before the first sync. */
  #version = -1;
  /** A newer version seen by the check but not yet announced: resync if it is still missing at the next check. */
  #suspect: number | undefined;
  #lastSync = -Infinity;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(client: Redis, options: RedisRbacOptions) {
    const admin = options.admin ?? client;
    if (!('permgateRbacSubject' in admin)) {
      admin.defineCommand('permgateRbacSubject', { numberOfKeys: 2, lua: WRITE_SUBJECT });
      admin.defineCommand('permgateRbacRole', { numberOfKeys: 3, lua: WRITE_ROLE });
    }
    this.#client = client as RbacCommands;
    this.#admin = admin as RbacCommands;
    this.#subscriber = client.duplicate();
    this.#subscriber.on('error', () => {}); // state is read from `status`; the main client reports errors
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  async start(onChange: (change: RbacChange) => void): Promise<void> {
    this.#listener = onChange;
    this.#subscriber.on('message', (_channel: string, text: string) => this.#onMessage(text));
    this.#subscriber.on('ready', () => void this.#resubscribe());
    if (this.#subscriber.status === 'ready') void this.#resubscribe();
    this.#schedule();
    // Wait briefly for the first sync, as the revocation list does; with Redis down, start not current.
    const deadline = this.#now() + 2_000;
    while (this.#version < 0 && this.#now() < deadline && !this.#closed) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#subscriber.disconnect();
  }

  isCurrent(): boolean {
    return (
      this.#version >= 0 &&
      this.#subscriber.status === 'ready' &&
      this.#client.status === 'ready' &&
      this.#now() - this.#lastSync < this.#options.syncInterval * 3
    );
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
    const version = await this.#admin.permgateRbacSubject(SUBJECTS, VERSION, RBAC_CHANNEL, subject, stamp, next === undefined ? '' : JSON.stringify(next)).catch(storeUnavailable);
    return version !== 0;
  }

  async writeRole(name: string, stamp: string, next: RoleDefinition | undefined): Promise<boolean> {
    const version = await this.#admin.permgateRbacRole(ROLES, ROLES_REVISION, VERSION, RBAC_CHANNEL, name, stamp, next === undefined ? '' : JSON.stringify(next)).catch(storeUnavailable);
    return version !== 0;
  }

  /** On every (re)connect: subscribe, then resync, since whatever was announced meanwhile is lost. */
  async #resubscribe(): Promise<void> {
    try {
      await this.#subscriber.subscribe(RBAC_CHANNEL);
      const version = Number((await this.#client.get(VERSION)) ?? 0);
      const first = this.#version < 0;
      this.#version = version;
      this.#suspect = undefined;
      this.#lastSync = this.#now();
      this.#listener?.({ kind: 'resync', reason: first ? 'start' : 'reconnected' });
    } catch {
      // The version check retries; isCurrent() stays false meanwhile.
    }
  }

  #onMessage(text: string): void {
    let change: RbacChange;
    try {
      change = JSON.parse(text) as RbacChange;
    } catch {
      return this.#resync('unreadable message', this.#version);
    }
    if (change.kind === 'resync' || this.#version < 0) return;
    if (change.version <= this.#version) return; // already covered (a resync read past it)
    if (change.version !== this.#version + 1) return this.#resync('version gap', change.version);
    this.#version = change.version;
    this.#listener?.(change);
  }

  #resync(reason: string, version: number): void {
    this.#version = version;
    this.#suspect = undefined;
    this.#listener?.({ kind: 'resync', reason });
  }

  /** The periodic check, with jitter so a fleet started together does not hit Redis in step. */
  #schedule(): void {
    if (this.#closed) return;
    const delay = this.#options.syncInterval * (0.8 + Math.random() * 0.4);
    this.#timer = setTimeout(() => void this.#check().finally(() => this.#schedule()), delay);
    this.#timer.unref();
  }

  async #check(): Promise<void> {
    try {
      const version = Number((await this.#client.get(VERSION)) ?? 0);
      if (this.#version < 0) return void (this.#subscriber.status === 'ready' && (await this.#resubscribe()));
      if (version < this.#version) this.#resync('store reset', version);
      else if (version > this.#version) {
        // An announcement may be on its way; missing twice in a row means it was lost.
        if (this.#suspect !== undefined && this.#version < this.#suspect) this.#resync('version check', version);
        else this.#suspect = version;
      } else this.#suspect = undefined;
      this.#lastSync = this.#now();
    } catch {
      // Unreachable: isCurrent() turns false once lastSync ages.
    }
  }
}
