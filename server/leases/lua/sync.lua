-- Everything one process asks of its leases at one time, in one call: its
-- heartbeat refreshed, then each operation in order.
-- KEYS[1]: this process's heartbeat; then per holder the operations name,
-- its lease ZSET and its count HASH.
-- ARGV: ttl (ms), process id, heartbeat key prefix, how long a holder's keys
-- outlive their last touch (ms), then four per operation:
--   'r', holder, lease, -      release one lease
--   'c', holder, -, -          clear this process's leases of the holder (before putting them back)
--   's', holder, lease, n      put back one lease, this process holding n of the holder
--   'a', holder, limit, lease  acquire a lease unless the holder has `limit` live ones
--   'v', holder, n, lease      check that this process holds n of the holder, this lease among them
-- where holder is the 1-based position of its keys after KEYS[1] and a
-- lease is this process's number for it (the ZSET member is `<process>/<lease>`).
-- Returns: 1 when the heartbeat was there before this call (0: Redis lost it,
-- or the process stalled past its ttl), then one reply per operation: for
-- 'a' 1 when acquired, for 'v' 1 when the check held, 0 otherwise.
local ttl, process, prefix, keep = tonumber(ARGV[1]), ARGV[2], ARGV[3], tonumber(ARGV[4])
local replies = { redis.call('EXISTS', KEYS[1]) }
redis.call('SET', KEYS[1], 1, 'PX', ttl)
-- Live leases per holder position, read at its first acquire and kept up to date after.
local live = {}
for i = 5, #ARGV, 4 do
  local op, holder, x, y = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2], ARGV[i + 3]
  local leases, counts = KEYS[2 * holder], KEYS[2 * holder + 1]
  local reply = 0
  if op == 'r' then
    if redis.call('ZREM', leases, process .. '/' .. x) == 1 and redis.call('HINCRBY', counts, process, -1) <= 0 then
      redis.call('HDEL', counts, process)
    end
  elseif op == 'c' then
    redis.call('ZREMRANGEBYLEX', leases, '[' .. process .. '/', '(' .. process .. '0')
    redis.call('HDEL', counts, process)
  elseif op == 's' then
    redis.call('ZADD', leases, 0, process .. '/' .. x)
    redis.call('HSET', counts, process, y)
    keep_for(leases, keep)
    keep_for(counts, keep)
  elseif op == 'a' then
    if live[holder] == nil then live[holder] = live_leases(leases, counts, prefix, true) end
    if live[holder] < tonumber(x) then
      redis.call('ZADD', leases, 0, process .. '/' .. y)
      redis.call('HINCRBY', counts, process, 1)
      keep_for(leases, keep)
      keep_for(counts, keep)
      live[holder] = live[holder] + 1
      reply = 1
    end
  elseif op == 'v' then
    local held = tonumber(redis.call('HGET', counts, process) or '0')
    if held == tonumber(x) and redis.call('ZSCORE', leases, process .. '/' .. y) then reply = 1 end
    keep_for(leases, keep)
    keep_for(counts, keep)
  end
  replies[#replies + 1] = reply
end
return replies
