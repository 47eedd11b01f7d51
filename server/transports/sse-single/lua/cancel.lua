-- KEYS: reservation, operations, order, owner's pending ZSET. ARGV: owner,
-- token, operation id. Returns ['cancelled'], ['held', holder] or ['unknown'].
if holder ~= '' then return {'held', holder} end
redis.call('HDEL', KEYS[2], ARGV[3])
redis.call('LREM', KEYS[3], 0, ARGV[3])
return {'cancelled'}
