-- expireIdle: ARGV[4] cutoff, ARGV[5] now, ARGV[6] limit.
-- Ends up to `limit` sessions last seen before the cutoff, oldest first.
-- Returns JSON: { ended = sessions ended, published = changes published }.
local idle = redis.call('ZRANGEBYSCORE', K.sessions, '-inf', '(' .. ARGV[4], 'LIMIT', 0, ARGV[6])
local now = tonumber(ARGV[5])
local nowText = int(now)
for _, id in ipairs(idle) do endSession(id, 'IDLE_TIMEOUT', nowText) end
publishChanges(now)
return cjson.encode({ ended = #idle, published = #changes })
