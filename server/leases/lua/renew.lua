-- KEYS[1]: this process's heartbeat, then per holder it holds leases of:
-- its lease ZSET and count HASH. ARGV: ttl (ms), process id, then one lease
-- id of this process per holder, in order. Refreshes the heartbeat and the
-- holders' keys; returns the 1-based positions of the holders whose lease is
-- missing: Redis lost their keys (restart, flush) and the caller restores them.
local ttl = tonumber(ARGV[1])
redis.call('SET', KEYS[1], 1, 'PX', ttl)
local lost = {}
for i = 1, (#KEYS - 1) / 2 do
  local leases, counts = KEYS[2 * i], KEYS[2 * i + 1]
  if redis.call('ZSCORE', leases, ARGV[2] .. '/' .. ARGV[2 + i]) then
    keep_for(leases, ttl)
    keep_for(counts, ttl)
  else
    lost[#lost + 1] = i
  end
end
return lost
