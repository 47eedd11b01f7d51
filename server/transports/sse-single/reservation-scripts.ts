import { luaScript } from '../../leases/scripts.js';

/**
 * The Lua side of the Redis reservations; each script is one atomic step,
 * so a connect and an operation sent at the same moment are ordered: the
 * operation is queued before the connect (which takes it) or sees the
 * holder after it. Keys:
 * - reservation HASH `owner`, `holder` ('' while pending); expires after the
 *   reservation TTL while pending, after the stream TTL (renewed by the
 *   holder) once connected;
 * - operations HASH operation id → operation JSON, and order LIST of ids:
 *   what was sent while pending, expiring with the reservation;
 * - pending ZSET per owner, token → expiry (ms, Redis time): the bound,
 *   and what decides whether a pending reservation still lives;
 * - streams ZSET per owner, token → expiry (ms, Redis time) of each
 *   connected stream, pushed on by its holder's renewals: the bound on
 *   connected streams, where a crashed process's streams lapse by score.
 * A token of another owner answers `unknown` before anything is touched.
 */

const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

// KEYS[1] reservation, KEYS[4] owner's pending ZSET; ARGV[1] owner, ARGV[2] token. The pending set's expiry is
// the one that counts, to the millisecond, as for the bound: the reservation's own key only outlives it briefly.
const OWNED = `${NOW}
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return {'unknown'} end
local holder = redis.call('HGET', KEYS[1], 'holder')
if holder == '' then
  local expiry = redis.call('ZSCORE', KEYS[4], ARGV[2])
  if not expiry or tonumber(expiry) <= now then return {'unknown'} end
end
`;

/**
 * KEYS: owner's pending ZSET, the new reservation HASH. ARGV: max pending,
 * ttl (ms), token, owner. Returns 1, or 0 when the owner has `max` pending.
 */
export const RESERVE = luaScript(`${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[3])
-- The set lives as long as its newest entry, whatever ttl other processes use.
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
redis.call('HSET', KEYS[2], 'owner', ARGV[4], 'holder', '')
redis.call('PEXPIRE', KEYS[2], ttl)
return 1
`);

// Keeps a token in a streams ZSET until now + ttl (ms); the set lives as long as its newest entry. Follows NOW.
const KEEP_STREAM = `
local function keep_stream(key, token, ttl)
  redis.call('ZADD', key, now + ttl, token)
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
end
`;

/**
 * KEYS: reservation, operations, order, owner's pending ZSET, owner's
 * streams ZSET. ARGV: owner, token, holder, stream ttl (ms), max streams.
 * Returns ['connected', op JSON...], ['taken'], ['full'] (the owner's
 * streams are at the bound; the reservation stays pending) or ['unknown'].
 */
export const CONNECT = luaScript(`${OWNED}${KEEP_STREAM}
if holder ~= '' then return {'taken'} end
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now)
if redis.call('ZCARD', KEYS[5]) >= tonumber(ARGV[5]) then return {'full'} end
local ttl = tonumber(ARGV[4])
redis.call('HSET', KEYS[1], 'holder', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('ZREM', KEYS[4], ARGV[2])
keep_stream(KEYS[5], ARGV[2], ttl)
local reply = {'connected'}
for _, id in ipairs(redis.call('LRANGE', KEYS[3], 0, -1)) do
  local operation = redis.call('HGET', KEYS[2], id)
  if operation then table.insert(reply, operation) end
end
redis.call('DEL', KEYS[2], KEYS[3])
return reply
`);

/**
 * KEYS: reservation, operations, order, owner's pending ZSET. ARGV: owner,
 * token, operation id, operation JSON, max queued. Returns ['queued'], ['duplicate'], ['full'],
 * ['held', holder] or ['unknown'].
 */
export const SUBMIT = luaScript(`${OWNED}
if holder ~= '' then return {'held', holder} end
if redis.call('HEXISTS', KEYS[2], ARGV[3]) == 1 then return {'duplicate'} end
if redis.call('LLEN', KEYS[3]) >= tonumber(ARGV[5]) then return {'full'} end
redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
redis.call('RPUSH', KEYS[3], ARGV[3])
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[2], ttl)
  redis.call('PEXPIRE', KEYS[3], ttl)
end
return {'queued'}
`);

/**
 * KEYS: reservation, operations, order, owner's pending ZSET. ARGV: owner,
 * token, operation id. Returns ['cancelled'], ['held', holder] or ['unknown'].
 */
export const CANCEL = luaScript(`${OWNED}
if holder ~= '' then return {'held', holder} end
redis.call('HDEL', KEYS[2], ARGV[3])
redis.call('LREM', KEYS[3], 0, ARGV[3])
return {'cancelled'}
`);

/**
 * KEYS: reservation, owner's streams ZSET. ARGV: holder, token. Deletes the
 * reservation if that holder still holds it, and takes the token out of the
 * owner's streams (a token connects once, so it is no one else's there).
 */
export const RELEASE = luaScript(`
if redis.call('HGET', KEYS[1], 'holder') == ARGV[1] then redis.call('DEL', KEYS[1]) end
redis.call('ZREM', KEYS[2], ARGV[2])
return 1
`);

/**
 * KEYS: for each stream connected by one process, its reservation and its
 * owner's streams ZSET. ARGV: stream ttl (ms), then each stream's owner,
 * holder and token in order. Writes each record whole, so one lost with
 * Redis data (a restart, a flush) comes back, and pushes each stream's
 * expiry in its owner's set.
 */
export const RENEW = luaScript(`${NOW}${KEEP_STREAM}
local ttl = tonumber(ARGV[1])
for i = 1, #KEYS / 2 do
  local reservation, streams, at = KEYS[2 * i - 1], KEYS[2 * i], 3 * i - 1
  redis.call('HSET', reservation, 'owner', ARGV[at], 'holder', ARGV[at + 1])
  redis.call('PEXPIRE', reservation, ttl)
  keep_stream(streams, ARGV[at + 2], ttl)
end
return 1
`);

/** KEYS: an owner's pending or streams ZSET. Returns its entries that have not expired. */
export const LIVE_COUNT = luaScript(`${NOW}
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
`);
