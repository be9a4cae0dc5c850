// Buckets shared by every instance, checked and updated on Redis atomically (so instances together never admit more
// than the limit), on Redis's clock (so instances' clocks do not matter).
//
// Requests that arrive in the same turn of the event loop share one script call: each request's buckets are still
// checked and spent all-or-nothing, in arrival order, exactly as separate calls run back to back would, but the
// client, the socket and Redis pay one command for the lot. Under load that is the difference between a Redis call
// per request and one per batch (README, Benchmarks); a request alone waits for nothing but the end of the turn.
//
// A late answer is not a missing one (issue 12, "bursts are not outages"). Once sent, a script may run whether or not
// its caller still waits, so giving up on a Redis that is merely behind spends the budget twice: once in Redis, once
// in the local share (108 of 100 admitted in a burst of 300 on two cores). So the deadline adapts: when it passes,
// the store first reads whatever has arrived (a blocked event loop runs timers before I/O), and while Redis keeps
// answering calls sent before this one it waits on, up to MAX_WAIT_MS. Only a Redis that answered nothing since the
// call was sent (down, paused, partitioned) hands the decision to the local share after one deadline.
import type { RedisClient } from './redis-connection.js';
import type { BucketCheck, RateDecision, RateLimitStore } from '../../ratelimit/rate-limit-store.js';

/** All keys share one hash tag, so the script's keys are in one cluster slot. */
export const RATE_KEY_PREFIX = '{permgate:rate}:';

/** At most this many requests per script call, so one call never holds Redis for long. */
export const MAX_BATCH = 64;

/** However busy Redis is, a request waits no longer than this for its budgets before the local share decides. */
export const MAX_WAIT_MS = 1_000;

export interface RedisRateLimitOptions {
  /** A call with no answer, and no answer to anything else since it was sent, fails after this (`store.commandTimeout`). */
  readonly deadlineMs: number;
  readonly maxWaitMs?: number;
}

/** Thrown when Redis answered nothing within the deadline: the limiter's cue for its local share. */
export class RateStoreSilentError extends Error {
  readonly code = 'PG_RATE_STORE_SILENT';
}

/**
 * KEYS: the distinct bucket keys of the batch. ARGV, per request: its number of buckets n, then n triples of
 * (key index, limit, window ms). Same arithmetic as ratelimit/gcra.ts. Returns, per request: refusedAt (1-based, 0:
 * allowed), retryAfterMs, then remaining and resetMs per bucket. Each key is read once and written once per batch.
 */
const CONSUME_BATCH_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tat, dirty, result = {}, {}, {}
local a = 1
while a <= #ARGV do
  local n = tonumber(ARGV[a])
  local first = a + 1
  a = first + 3 * n
  local refused, retry = 0, 0
  local out, nxt = {}, {}
  for i = 1, n do
    local at = first + 3 * (i - 1)
    local k, limit, window = tonumber(ARGV[at]), tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2])
    local interval = window / limit
    local tolerance = window - interval
    local cur = tat[k]
    if cur == nil then
      cur = tonumber(redis.call('GET', KEYS[k])) or now
      tat[k] = cur
    end
    if cur < now then cur = now end
    if cur - now > tolerance then
      if refused == 0 then refused = i end
      retry = math.max(retry, cur - now - tolerance)
      out[#out + 1] = 0
      out[#out + 1] = math.ceil(cur - now)
    else
      nxt[i] = cur + interval
      out[#out + 1] = math.floor((window - (nxt[i] - now)) / interval + 1e-9)
      out[#out + 1] = math.ceil(nxt[i] - now)
    end
  end
  if refused == 0 then
    for i = 1, n do
      local k = tonumber(ARGV[first + 3 * (i - 1)])
      tat[k] = nxt[i]
      dirty[k] = true
    end
  end
  result[#result + 1] = refused
  result[#result + 1] = math.ceil(retry)
  for i = 1, #out do result[#result + 1] = out[i] end
end
for k in pairs(dirty) do
  redis.call('SET', KEYS[k], string.format('%.3f', tat[k]), 'PX', math.max(1, math.ceil(tat[k] - now)))
end
return result
`;

type RateCommands = RedisClient & { permgateConsumeBatch(numKeys: number, ...args: (string | number)[]): Promise<number[]> };

interface Pending {
  readonly checks: readonly BucketCheck[];
  resolve(decision: RateDecision): void;
  reject(err: unknown): void;
}

export class RedisRateLimitStore implements RateLimitStore {
  readonly #client: RateCommands;
  readonly #deadlineMs: number;
  readonly #maxWaitMs: number;
  #queue: Pending[] = [];
  #scheduled = false;
  /** When the last answer (a reply or an error from Redis) arrived, by performance.now(). */
  #lastAnswer = -Infinity;
  /** Calls whose deadline passed while Redis was still answering older ones: waited for, not failed. */
  lateCalls = 0;

  /**
   * `client` must not time commands out sooner than `maxWaitMs` (the store keeps its own deadline): a connection of
   * the rate-limit store's own.
   */
  constructor(client: RedisClient, options: RedisRateLimitOptions = { deadlineMs: 50 }) {
    if (!('permgateConsumeBatch' in client)) client.defineCommand('permgateConsumeBatch', { lua: CONSUME_BATCH_SCRIPT });
    this.#client = client as RateCommands;
    this.#deadlineMs = options.deadlineMs;
    this.#maxWaitMs = Math.max(options.deadlineMs, options.maxWaitMs ?? MAX_WAIT_MS);
  }

  consume(checks: readonly BucketCheck[]): Promise<RateDecision> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ checks, resolve, reject });
      if (this.#scheduled) return;
      this.#scheduled = true;
      // After the I/O callbacks of this turn: every request parsed in it joins the batch.
      setImmediate(this.#flush);
    });
  }

  readonly #flush = (): void => {
    this.#scheduled = false;
    const queue = this.#queue;
    this.#queue = [];
    for (let i = 0; i < queue.length; i += MAX_BATCH) void this.#send(queue.slice(i, i + MAX_BATCH));
  };

  async #send(batch: readonly Pending[]): Promise<void> {
    const index = new Map<string, number>();
    const keys: string[] = [];
    const argv: number[] = [];
    for (const { checks } of batch) {
      argv.push(checks.length);
      for (const check of checks) {
        let k = index.get(check.key);
        if (k === undefined) {
          k = keys.push(RATE_KEY_PREFIX + check.key);
          index.set(check.key, k);
        }
        argv.push(k, check.rate.limit, check.rate.windowMs);
      }
    }
    let reply: number[];
    try {
      reply = await this.#answered(this.#client.permgateConsumeBatch(keys.length, ...keys, ...argv));
    } catch (err) {
      for (const pending of batch) pending.reject(err);
      return;
    }
    let at = 0;
    for (const { checks, resolve } of batch) {
      const refusedAt = Number(reply[at]) - 1;
      const retryAfterMs = Number(reply[at + 1]);
      const buckets = checks.map((_, i) => ({ remaining: Number(reply[at + 2 + 2 * i]), resetMs: Number(reply[at + 3 + 2 * i]) }));
      at += 2 + 2 * checks.length;
      resolve({ refusedAt, retryAfterMs, buckets });
    }
  }

  /** `call`'s answer, under the adaptive deadline described at the top of this file. */
  #answered(call: Promise<number[]>): Promise<number[]> {
    const sentAt = performance.now();
    const noted = call.then(
      (reply) => ((this.#lastAnswer = performance.now()), reply),
      (err: unknown) => {
        this.#lastAnswer = performance.now();
        throw err;
      },
    );
    return new Promise<number[]>((resolve, reject) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const check = (): void => {
        // After the I/O phase: an answer that sat unread while the loop was blocked is taken now.
        setImmediate(() => {
          if (settled) return;
          const waited = performance.now() - sentAt;
          if (this.#lastAnswer > sentAt && waited < this.#maxWaitMs) {
            this.lateCalls++;
            timer = setTimeout(check, Math.min(this.#deadlineMs, this.#maxWaitMs - waited));
            return;
          }
          settled = true;
          reject(new RateStoreSilentError(`the shared store answered nothing for ${Math.round(waited)} ms`));
        });
      };
      timer = setTimeout(check, this.#deadlineMs);
      noted.then(
        (reply) => {
          settled = true;
          clearTimeout(timer);
          resolve(reply);
        },
        (err: unknown) => {
          settled = true;
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  }
}
