-- KEYS: an owner's pending or streams ZSET. Returns its entries that have not expired.
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
