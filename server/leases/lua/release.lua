-- KEYS: the holder's lease ZSET and count HASH. ARGV: process id, lease id. Idempotent.
if redis.call('ZREM', KEYS[1], ARGV[1] .. '/' .. ARGV[2]) == 1 and redis.call('HINCRBY', KEYS[2], ARGV[1], -1) <= 0 then
  redis.call('HDEL', KEYS[2], ARGV[1])
end
return 1
