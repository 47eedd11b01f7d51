-- KEYS: reservation, operations, order, owner's pending ZSET, owner's
-- streams ZSET. ARGV: owner, token, holder, stream ttl (ms), max streams.
-- Returns ['connected', op JSON...], ['taken'], ['full'] (the owner's
-- streams are at the bound; the reservation stays pending) or ['unknown'].
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
