// The Lua scripts of the shared budgets (GCRA on Redis's clock, the arithmetic of ratelimit/gcra.ts): one that checks
// and spends a batch of requests, one that gives back what a request spent where another part of it was refused,
// and one that leases a slice of a bucket shared by every client.
//
// On one node (or a Sentinel-named master) every key of a batch is declared in KEYS. On a Cluster a script's declared
// keys must share one slot, while a batch's keys spread over every slot a master serves: there the script declares
// only its first key (so the client routes it to the right master) and finds the others in ARGV, and its
// `allow-cross-slot-keys` flag (Redis 7) lets it touch keys of other slots that master serves.

/** The consume loop; expects `keys` (the batch's bucket keys) and `a` (where the requests start in ARGV). */
const CONSUME_LOOP = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tat, dirty, result = {}, {}, {}
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
      cur = tonumber(redis.call('GET', keys[k])) or now
      tat[k] = cur
    end
    if cur < now then cur = now end
    if cur - now > tolerance then
      if refused == 0 then refused = i end
      retry = math.max(retry, cur - now - tolerance)
      out[#out + 1] = 0
      out[#out + 1] = math.ceil(cur - now)
      out[#out + 1] = '0'
    else
      nxt[i] = cur + interval
      out[#out + 1] = math.floor((window - (nxt[i] - now)) / interval + 1e-9)
      out[#out + 1] = math.ceil(nxt[i] - now)
      out[#out + 1] = string.format('%.3f', nxt[i])
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
  redis.call('SET', keys[k], string.format('%.3f', tat[k]), 'PX', math.max(1, math.ceil(tat[k] - now)))
end
return result
`;

/** Keys of other slots of the same master, named in ARGV after their count: ARGV = m, m keys, then the rest. */
const CROSS_SLOT_KEYS = `#!lua flags=allow-cross-slot-keys
local m = tonumber(ARGV[1])
local keys = {}
for i = 1, m do keys[i] = ARGV[1 + i] end
local a = m + 2
`;

/**
 * One node. KEYS: the distinct bucket keys of the batch. ARGV, per request: its number of buckets n, then n triples of
 * (key index, limit, window ms). Returns, per request: refusedAt (1-based, 0: allowed), retryAfterMs, then per bucket
 * remaining, resetMs and the TAT its spend made (a string, '0' when refused). Each key is read and written once.
 */
export const CONSUME_SCRIPT = `local keys, a = KEYS, 1\n${CONSUME_LOOP}`;

/** A Cluster master: as CONSUME_SCRIPT, with the keys in ARGV (m, then m keys) and KEYS[1] only for routing. */
export const CONSUME_CROSS_SLOT_SCRIPT = `${CROSS_SLOT_KEYS}${CONSUME_LOOP}`;

/**
 * Gives back spends, latest first: ARGV = m, m keys, then triples (key index, ms to give back, the TAT the spend
 * made). A spend is given back only while it still counts, the TAT it made not yet passed; once passed, the bucket
 * has refilled past it and there is nothing left to give back (a key already gone: the same). A bucket whose TAT
 * falls behind Redis's clock is full, and is deleted.
 *
 * Under load (a bucket at its limit, its TAT far ahead) a refund is exact: the TAT is a sum of intervals, and taking
 * one away undoes one spend whatever came between. The one inexact case: a bucket that ran full (its TAT caught up
 * with the clock, other spends given back meanwhile) while the refund was in flight, then filled again; it can
 * credit that bucket one request, once per such refund. That takes a bucket far from its limit at that moment.
 */
export const REFUND_CROSS_SLOT_SCRIPT = `${CROSS_SLOT_KEYS}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local given = 0
local last = #ARGV - 2
while last >= a do
  local key, amount, spent = keys[tonumber(ARGV[last])], tonumber(ARGV[last + 1]), tonumber(ARGV[last + 2])
  local cur = tonumber(redis.call('GET', key))
  if cur ~= nil and spent >= now then
    local back = cur - amount
    if back > now then
      redis.call('SET', key, string.format('%.3f', back), 'PX', math.max(1, math.ceil(back - now)))
    else
      redis.call('DEL', key)
    end
    given = given + 1
  end
  last = last - 3
end
return given
`;

/**
 * Leases up to ARGV[1] cells of the bucket KEYS[1] (limit ARGV[2], window ARGV[3] ms) at once: as many as it holds.
 * Returns granted, retryAfterMs (when none), remaining after the grant, resetMs, and the TAT the grant made.
 */
export const LEASE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local want, limit, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local interval = window / limit
local cur = tonumber(redis.call('GET', KEYS[1])) or now
if cur < now then cur = now end
local free = math.floor((window - (cur - now)) / interval + 1e-9)
local granted = math.min(want, math.max(0, free))
if granted == 0 then
  return {0, math.ceil(cur - now - (window - interval)), 0, math.ceil(cur - now), '0'}
end
local nxt = cur + granted * interval
redis.call('SET', KEYS[1], string.format('%.3f', nxt), 'PX', math.max(1, math.ceil(nxt - now)))
return {granted, 0, free - granted, math.ceil(nxt - now), string.format('%.3f', nxt)}
`;
