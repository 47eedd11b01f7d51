-- Shared by the lease scripts (joined before their body by server/redis/lua.ts).

-- A holder's keys live at least `ttl` after the last time a process that
-- holds its leases touched them, and are never cut short by a shorter ttl.
local function keep_for(key, ttl)
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
end

-- Live leases of a holder (its lease ZSET and count HASH): those of
-- processes whose heartbeat lives. With prune set, the leases of processes
-- whose heartbeat is gone are removed.
-- The heartbeat keys are built here from the process ids the HASH names:
-- they cannot be passed in KEYS without a round trip to read the HASH first.
local function live_leases(leases, counts, heartbeat_prefix, prune)
  local flat, live = redis.call('HGETALL', counts), 0
  for i = 1, #flat, 2 do
    local process = flat[i]
    if redis.call('EXISTS', heartbeat_prefix .. process) == 1 then
      live = live + tonumber(flat[i + 1])
    elseif prune then
      redis.call('ZREMRANGEBYLEX', leases, '[' .. process .. '/', '(' .. process .. '0')
      redis.call('HDEL', counts, process)
    end
  end
  return live
end
