-- endSession: ARGV[4] session id, ARGV[5] now.
-- Returns JSON { session = the ended session, published = changes published },
-- or nil when it was not active (nothing published then).
local ended = endSession(ARGV[4], 'LOGOUT', tonumber(ARGV[5]))
publishChanges(tonumber(ARGV[5]))
if ended == nil then return nil end
return cjson.encode({ session = ended, published = #changes })
