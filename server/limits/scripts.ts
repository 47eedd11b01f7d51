import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * The Lua side of the Redis leases. A holder's leases are a ZSET of lease id
 * → expiry in ms, read from the Redis clock (`TIME`) so that the clocks of
 * the processes never matter; a lease is live while its expiry is in the
 * future. Scripts that write after `TIME` need Redis 5 or later (effects
 * replication).
 */

/** A Lua script and its SHA1, for EVALSHA. */
export interface LuaScript {
  readonly source: string;
  readonly sha1: string;
}

/** Wraps Lua source for {@link runScript}. */
export function luaScript(source: string): LuaScript {
  return { source, sha1: createHash('sha1').update(source).digest('hex') };
}

/**
 * Runs a script by EVALSHA, falling back to EVAL when Redis does not know it
 * (first use, a restart, `SCRIPT FLUSH`).
 * @throws whatever Redis answers, or the connection error
 */
export async function runScript(redis: Redis, script: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
  try {
    return await redis.evalsha(script.sha1, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
    return redis.eval(script.source, keys.length, ...keys, ...args);
  }
}

const HELPERS = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- The key lives as long as its longest lease, so it disappears when all
-- lapse, yet a process configured with a longer ttl is never cut short.
local function expire_with_last_lease(key, now)
  local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if last[2] then redis.call('PEXPIRE', key, math.max(1, tonumber(last[2]) - now)) end
end
`;

/**
 * KEYS[1]: the holder's lease ZSET. ARGV: limit, ttl (ms), lease id.
 * Returns 1 when the lease was added, nil when the holder already has `limit` live leases.
 */
export const ACQUIRE = luaScript(`${HELPERS}
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return false end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
expire_with_last_lease(KEYS[1], now)
return 1
`);

/**
 * KEYS: the lease ZSETs of every holder this process holds leases of.
 * ARGV: ttl (ms), then per key in order: its number of leases, then their ids.
 * Re-adds each lease with a fresh expiry (ZADD), which also restores leases
 * Redis lost (restart, flush) while their process kept them.
 */
export const RENEW = luaScript(`${HELPERS}
local now = now_ms()
local expiry = now + tonumber(ARGV[1])
local at = 2
for _, key in ipairs(KEYS) do
  local n = tonumber(ARGV[at])
  for i = at + 1, at + n do redis.call('ZADD', key, expiry, ARGV[i]) end
  at = at + n + 1
  expire_with_last_lease(key, now)
end
return 1
`);

/** KEYS[1]: the holder's lease ZSET. Returns the number of live leases. */
export const COUNT = luaScript(`${HELPERS}
return redis.call('ZCOUNT', KEYS[1], '(' .. now_ms(), '+inf')
`);
