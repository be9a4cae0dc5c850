// The Lua fragment every write script of a Redis feed ends with: the change the script just made is stamped with the
// store's epoch and the next version and published, inside the script that made it. So a write is never committed
// unannounced nor announced uncommitted, and it still costs one round-trip.

/** A write script: the name it is defined under on a connection, and its Lua with the feed's fragment around it. */
export interface FeedScript {
  readonly name: string;
  readonly lua: string;
}

/**
 * Follows the writer's Lua. KEYS[#KEYS - 1]: the version, KEYS[#KEYS]: the epoch; ARGV[#ARGV - 2]: how to publish
 * (PUBLISH, or on a cluster SPUBLISH, whose channel must then be in the script's own slot), ARGV[#ARGV - 1]: the
 * channel, ARGV[#ARGV]: an epoch to start with when there is none (the first write, or the first since the data was
 * lost). Returns the announcement as published, or nil when the write changed nothing (nothing is announced then).
 */
const ANNOUNCE = `
local announced = change()
if announced == nil then return nil end
local epoch = redis.call('GET', KEYS[#KEYS])
if not epoch then
  epoch = ARGV[#ARGV]
  redis.call('SET', KEYS[#KEYS], epoch)
end
announced.epoch = epoch
announced.version = redis.call('INCR', KEYS[#KEYS - 1])
local text = cjson.encode(announced)
redis.call(ARGV[#ARGV - 2], ARGV[#ARGV - 1], text)
return text
`;

/**
 * `body` is Lua that makes the change and returns it as a table to announce, or nil when it changed nothing. It sees
 * its own KEYS and ARGV as given to RedisFeed.write, numbered from 1; the feed's keys and arguments follow them.
 * @example feedScript('permgateForget', "if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return nil end\nreturn { name = ARGV[1] }")
 */
export function feedScript(name: string, body: string): FeedScript {
  return { name, lua: `local function change()\n${body}\nend\n${ANNOUNCE}` };
}
