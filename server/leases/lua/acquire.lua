-- KEYS: the holder's lease ZSET and count HASH, this process's heartbeat.
-- ARGV: limit, ttl (ms), process id, lease id, heartbeat key prefix.
-- Returns 1 when the lease was added, nil when the holder already has `limit` live leases.
local ttl = tonumber(ARGV[2])
redis.call('SET', KEYS[3], 1, 'PX', ttl)
if live_leases(KEYS[1], KEYS[2], ARGV[5], true) >= tonumber(ARGV[1]) then return false end
redis.call('ZADD', KEYS[1], 0, ARGV[3] .. '/' .. ARGV[4])
redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
keep_for(KEYS[1], ttl)
keep_for(KEYS[2], ttl)
return 1
