-- KEYS: reservation, owner's streams ZSET. ARGV: holder, token. Deletes the
-- reservation if that holder still holds it, and takes the token out of the
-- owner's streams (a token connects once, so it is no one else's there).
if redis.call('HGET', KEYS[1], 'holder') == ARGV[1] then redis.call('DEL', KEYS[1]) end
redis.call('ZREM', KEYS[2], ARGV[2])
return 1
