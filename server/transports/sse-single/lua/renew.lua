-- KEYS: for each stream connected by one process, its reservation and its
-- owner's streams ZSET. ARGV: stream ttl (ms), then each stream's owner,
-- holder and token in order. Writes each record whole, so one lost with
-- Redis data (a restart, a flush) comes back, and pushes each stream's
-- expiry in its owner's set.
local ttl = tonumber(ARGV[1])
for i = 1, #KEYS / 2 do
  local reservation, streams, at = KEYS[2 * i - 1], KEYS[2 * i], 3 * i - 1
  redis.call('HSET', reservation, 'owner', ARGV[at], 'holder', ARGV[at + 1])
  redis.call('PEXPIRE', reservation, ttl)
  keep_stream(streams, ARGV[at + 2], ttl)
end
return 1
