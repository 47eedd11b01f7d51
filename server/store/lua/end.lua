-- endSession: ARGV[4] session id, ARGV[5] now.
-- Returns the ended session as JSON, or nil when it was not active.
local ended = endSession(ARGV[4], 'LOGOUT', tonumber(ARGV[5]))
publishChanges()
if ended == nil then return nil end
return cjson.encode(ended)
