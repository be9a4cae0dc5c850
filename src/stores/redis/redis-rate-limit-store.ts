// Buckets shared by every instance: one Lua script per request checks and updates all of them atomically (so
// instances together never admit more than the limit), on Redis's clock (so instances' clocks do not matter).
import type { Redis } from 'ioredis';
import type { BucketCheck, RateDecision, RateLimitStore } from '../../ratelimit/rate-limit-store.js';

/** All keys share one hash tag, so the script's keys are in one cluster slot. */
export const RATE_KEY_PREFIX = '{permgate:rate}:';

/**
 * KEYS: bucket keys. ARGV: limit and window (ms) per key. Same arithmetic as ratelimit/gcra.ts. Returns
 * { refusedAt (1-based, 0: allowed), retryAfterMs, remaining1, resetMs1, … }.
 */
const CONSUME_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local refused, retry = 0, 0
local tats, out = {}, {}
for i = 1, #KEYS do
  local limit, window = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  local interval = window / limit
  local tolerance = window - interval
  local tat = tonumber(redis.call('GET', KEYS[i]))
  if tat == nil or tat < now then tat = now end
  if tat - now > tolerance then
    if refused == 0 then refused = i end
    retry = math.max(retry, tat - now - tolerance)
    out[#out + 1] = 0
    out[#out + 1] = math.ceil(tat - now)
  else
    local nxt = tat + interval
    tats[i] = nxt
    out[#out + 1] = math.floor((window - (nxt - now)) / interval + 1e-9)
    out[#out + 1] = math.ceil(nxt - now)
  end
end
if refused == 0 then
  for i = 1, #KEYS do
    redis.call('SET', KEYS[i], string.format('%.3f', tats[i]), 'PX', math.max(1, math.ceil(tats[i] - now)))
  end
end
local result = { refused, math.ceil(retry) }
for i = 1, #out do result[#result + 1] = out[i] end
return result
`;

type RateCommands = Redis & { permgateConsume(numKeys: number, ...args: (string | number)[]): Promise<number[]> };

export class RedisRateLimitStore implements RateLimitStore {
  readonly #client: RateCommands;

  constructor(client: Redis) {
    if (!('permgateConsume' in client)) client.defineCommand('permgateConsume', { lua: CONSUME_SCRIPT });
    this.#client = client as RateCommands;
  }

  async consume(checks: readonly BucketCheck[]): Promise<RateDecision> {
    const args: (string | number)[] = checks.map((check) => RATE_KEY_PREFIX + check.key);
    for (const check of checks) args.push(check.rate.limit, check.rate.windowMs);
    const reply = await this.#client.permgateConsume(checks.length, ...args);
    const buckets = checks.map((_, i) => ({ remaining: Number(reply[2 + 2 * i]), resetMs: Number(reply[3 + 2 * i]) }));
    return { refusedAt: Number(reply[0]) - 1, retryAfterMs: Number(reply[1]), buckets };
  }
}
