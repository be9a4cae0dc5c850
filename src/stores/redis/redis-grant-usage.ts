// Grant use in Redis, shared by every instance: a hash per subject, `permgate:usage:subject:{<subject>}` (field: grant
// key, value: day number), with its own hash tag so 100,000 subjects spread over a cluster's masters like their RBAC
// records do; role aggregates in `permgate:usage:roles`; the first recorded day in `permgate:usage:since`. Each key
// expires USAGE_RETENTION_DAYS after its last write. A script raises days (never lowers them), so instances with
// skewed clocks or late flushes cannot move a day back. Writes go on the admin connection, off the request path:
// one script call per subject per flush, sent together.
import type { Day, GrantUsageStore, GrantUse, RoleGrantUse } from '../../privilege/grant-usage-store.js';
import { USAGE_RETENTION_DAYS } from '../../privilege/grant-usage-store.js';
import type { RedisClient } from './redis-connection.js';
import { storeUnavailable } from './store-unavailable.js';

const ROLES = 'permgate:usage:roles';
const SINCE = 'permgate:usage:since';
const TTL_SECONDS = USAGE_RETENTION_DAYS * 86_400;
/** Script calls in flight at once during a flush: a flush of 100,000 subjects must not queue them all in one go. */
const CONCURRENCY = 256;

export function usageKey(subject: string): string {
  return `permgate:usage:subject:{${subject}}`;
}

/** KEYS: one hash. ARGV: ttl seconds, then field, day pairs. Raises each field to its day; refreshes the TTL. */
const RAISE = `
for i = 2, #ARGV, 2 do
  local current = tonumber(redis.call('HGET', KEYS[1], ARGV[i]))
  if current == nil or current < tonumber(ARGV[i + 1]) then redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1`;

/** KEYS: the since key. ARGV: a day. Keeps the smaller day. */
const LOWER = `
local current = tonumber(redis.call('GET', KEYS[1]))
if current == nil or current > tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
return 1`;

export class RedisGrantUsage implements GrantUsageStore {
  readonly #client: RedisClient;

  constructor(client: RedisClient) {
    this.#client = client;
  }

  async record(uses: readonly GrantUse[], roleUses: readonly RoleGrantUse[]): Promise<void> {
    const bySubject = new Map<string, (string | number)[]>();
    let first = Infinity;
    for (const { subject, grant, day } of uses) {
      let args = bySubject.get(subject);
      if (args === undefined) bySubject.set(subject, (args = [TTL_SECONDS]));
      args.push(grant, day);
      first = Math.min(first, day);
    }
    const calls: [string, (string | number)[]][] = [...bySubject].map(([subject, args]) => [usageKey(subject), args]);
    if (roleUses.length > 0) calls.push([ROLES, [TTL_SECONDS, ...roleUses.flatMap((use) => [use.grant, use.day])]]);
    try {
      for (let i = 0; i < calls.length; i += CONCURRENCY) {
        await Promise.all(calls.slice(i, i + CONCURRENCY).map(([key, args]) => this.#client.eval(RAISE, 1, key, ...args)));
      }
      if (first !== Infinity) await this.#client.eval(LOWER, 1, SINCE, first);
    } catch (err) {
      storeUnavailable(err);
    }
  }

  async subjectUsage(subject: string): Promise<ReadonlyMap<string, Day>> {
    return days(await this.#client.hgetall(usageKey(subject)).catch(storeUnavailable));
  }

  async roleUsage(): Promise<ReadonlyMap<string, Day>> {
    return days(await this.#client.hgetall(ROLES).catch(storeUnavailable));
  }

  async since(): Promise<Day | undefined> {
    const value = await this.#client.get(SINCE).catch(storeUnavailable);
    return value === null ? undefined : Number(value);
  }
}

function days(hash: Record<string, string>): Map<string, Day> {
  return new Map(Object.entries(hash).map(([grant, day]) => [grant, Number(day)]));
}
