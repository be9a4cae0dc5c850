// Open WebSockets counted across instances: one sorted set per counted key (a caller, an address), its members the
// connections, scored by when their count lapses. Taking a place is one script (drop lapsed members, check every
// bound, then add to all); each instance renews its own members, so an instance that dies frees its places within
// a lease.
import type { RedisClient } from './redis-connection.js';
import type { ConnectionCountStore, CountedPlace } from '../../websocket/connection-count-store.js';

/** One hash tag: the keys of one take share a slot, as a script on a cluster requires. */
const PREFIX = '{permgate:connections}:';

/** KEYS: the places. ARGV: id, now, until, then each place's limit. 0 when counted, else the 1-based full place. */
const TAKE = `
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[2])
  if redis.call('ZCARD', key) >= tonumber(ARGV[3 + i]) and not redis.call('ZSCORE', key, ARGV[1]) then return i end
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, ARGV[3], ARGV[1])
  redis.call('PEXPIREAT', key, ARGV[3])
end
return 0
`;

export class RedisConnectionCounts implements ConnectionCountStore {
  constructor(
    private readonly client: RedisClient,
    private readonly now: () => number,
  ) {}

  async take(id: string, places: readonly CountedPlace[], until: number): Promise<number | undefined> {
    const keys = places.map((place) => PREFIX + place.key);
    const full = Number(await this.client.eval(TAKE, keys.length, ...keys, id, this.now(), until, ...places.map((place) => place.limit)));
    return full === 0 ? undefined : full - 1;
  }

  async renew(counted: readonly { readonly id: string; readonly keys: readonly string[] }[], until: number): Promise<void> {
    if (counted.length === 0) return;
    const batch = this.client.pipeline();
    for (const { id, keys } of counted) {
      for (const key of keys) {
        batch.zadd(PREFIX + key, 'XX', until, id);
        batch.pexpireat(PREFIX + key, until);
      }
    }
    await batch.exec();
  }

  async release(id: string, keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const batch = this.client.pipeline();
    for (const key of keys) batch.zrem(PREFIX + key, id);
    await batch.exec();
  }
}
