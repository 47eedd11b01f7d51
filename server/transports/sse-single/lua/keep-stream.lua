-- Follows now.lua. Keeps a token in a streams ZSET until now + ttl (ms); the set lives as long as its newest entry.
local function keep_stream(key, token, ttl)
  redis.call('ZADD', key, now + ttl, token)
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
end
