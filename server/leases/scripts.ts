import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * The Lua side of the Redis leases. A holder's leases are a ZSET whose
 * members are `<process id>/<lease id>`, all scored 0 so that one process's
 * leases form one lexicographic range, and a HASH process id → its number of
 * leases there, so counting costs one call per process, never one per lease.
 * A lease is live while its process is: each process keeps one heartbeat key
 * (`SET … PX ttl`) that its renewal refreshes, so renewing costs one call
 * per process and period, and an idle subscriber costs Redis nothing. The
 * leases of a process that stopped renewing lapse with its heartbeat; the
 * scripts that count skip them and `acquire` removes them.
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
-- A holder's keys live at least a heartbeat (ttl) after their last renewal
-- by any process, and are never cut short by a process with a shorter ttl.
local function keep_for(key, ttl)
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
end

-- Live leases of a holder (KEYS ZSET and HASH of counts); with prune set,
-- the leases of processes whose heartbeat is gone are removed.
local function live_leases(leases, counts, heartbeat_prefix, prune)
  local flat, live = redis.call('HGETALL', counts), 0
  for i = 1, #flat, 2 do
    local process = flat[i]
    if redis.call('EXISTS', heartbeat_prefix .. process) == 1 then
      live = live + tonumber(flat[i + 1])
    elseif prune then
      redis.call('ZREMRANGEBYLEX', leases, '[' .. process .. '/', '(' .. process .. '0')
      redis.call('HDEL', counts, process)
    end
  end
  return live
end
`;

/**
 * KEYS: the holder's lease ZSET and count HASH, this process's heartbeat.
 * ARGV: limit, ttl (ms), process id, lease id, heartbeat key prefix.
 * Returns 1 when the lease was added, nil when the holder already has `limit` live leases.
 */
export const ACQUIRE = luaScript(`${HELPERS}
local ttl = tonumber(ARGV[2])
redis.call('SET', KEYS[3], 1, 'PX', ttl)
if live_leases(KEYS[1], KEYS[2], ARGV[5], true) >= tonumber(ARGV[1]) then return false end
redis.call('ZADD', KEYS[1], 0, ARGV[3] .. '/' .. ARGV[4])
redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
keep_for(KEYS[1], ttl)
keep_for(KEYS[2], ttl)
return 1
`);

/** KEYS: the holder's lease ZSET and count HASH. ARGV: process id, lease id. Idempotent. */
export const RELEASE = luaScript(`
if redis.call('ZREM', KEYS[1], ARGV[1] .. '/' .. ARGV[2]) == 1 and redis.call('HINCRBY', KEYS[2], ARGV[1], -1) <= 0 then
  redis.call('HDEL', KEYS[2], ARGV[1])
end
return 1
`);

/**
 * KEYS[1]: this process's heartbeat, then per holder it holds leases of:
 * its lease ZSET and count HASH. ARGV: ttl (ms), process id, then one lease
 * id of this process per holder, in order. Refreshes the heartbeat and the
 * holders' keys; returns the 1-based positions of the holders whose lease is
 * missing: Redis lost their keys (restart, flush) and the caller restores them.
 */
export const RENEW = luaScript(`${HELPERS}
local ttl = tonumber(ARGV[1])
redis.call('SET', KEYS[1], 1, 'PX', ttl)
local lost = {}
for i = 1, (#KEYS - 1) / 2 do
  local leases, counts = KEYS[2 * i], KEYS[2 * i + 1]
  if redis.call('ZSCORE', leases, ARGV[2] .. '/' .. ARGV[2 + i]) then
    keep_for(leases, ttl)
    keep_for(counts, ttl)
  else
    lost[#lost + 1] = i
  end
end
return lost
`);

/**
 * KEYS: a holder's lease ZSET and count HASH, this process's heartbeat.
 * ARGV: ttl (ms), process id, then every lease id this process holds there.
 * Puts back the leases Redis lost while their process kept them.
 */
export const RESTORE = luaScript(`${HELPERS}
local ttl = tonumber(ARGV[1])
redis.call('SET', KEYS[3], 1, 'PX', ttl)
for i = 3, #ARGV do redis.call('ZADD', KEYS[1], 0, ARGV[2] .. '/' .. ARGV[i]) end
redis.call('HSET', KEYS[2], ARGV[2], redis.call('ZLEXCOUNT', KEYS[1], '[' .. ARGV[2] .. '/', '(' .. ARGV[2] .. '0'))
keep_for(KEYS[1], ttl)
keep_for(KEYS[2], ttl)
return 1
`);

/** KEYS: the holder's lease ZSET and count HASH. ARGV[1]: heartbeat key prefix. Returns the number of live leases. */
export const COUNT = luaScript(`${HELPERS}
return live_leases(KEYS[1], KEYS[2], ARGV[1], false)
`);
