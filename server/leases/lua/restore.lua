-- KEYS: a holder's lease ZSET and count HASH, this process's heartbeat.
-- ARGV: ttl (ms), process id, then every lease id this process holds there.
-- Puts back the leases Redis lost while their process kept them.
local ttl = tonumber(ARGV[1])
redis.call('SET', KEYS[3], 1, 'PX', ttl)
for i = 3, #ARGV do redis.call('ZADD', KEYS[1], 0, ARGV[2] .. '/' .. ARGV[i]) end
redis.call('HSET', KEYS[2], ARGV[2], redis.call('ZLEXCOUNT', KEYS[1], '[' .. ARGV[2] .. '/', '(' .. ARGV[2] .. '0'))
keep_for(KEYS[1], ttl)
keep_for(KEYS[2], ttl)
return 1
