-- KEYS: owner's pending ZSET, the new reservation HASH. ARGV: max pending,
-- ttl (ms), token, owner. Returns 1, or 0 when the owner has `max` pending.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[3])
-- The set lives as long as its newest entry, whatever ttl other processes use.
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
redis.call('HSET', KEYS[2], 'owner', ARGV[4], 'holder', '')
redis.call('PEXPIRE', KEYS[2], ttl)
return 1
