-- endSession: ARGV[4] session id, ARGV[5] now.
-- Returns JSON { session = the ended session, published = changes published },
-- or nil when it was not active (nothing published then).
local now = tonumber(ARGV[5])
local ended = endSession(ARGV[4], 'LOGOUT', int(now))
publishChanges(now)
if ended == nil then return nil end
return '{"session":' .. ended .. ',"published":' .. int(#changes) .. '}'
