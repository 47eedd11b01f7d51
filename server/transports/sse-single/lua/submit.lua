-- KEYS: reservation, operations, order, owner's pending ZSET. ARGV: owner,
-- token, operation id, operation JSON, max queued. Returns ['queued'], ['duplicate'], ['full'],
-- ['held', holder] or ['unknown'].
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
