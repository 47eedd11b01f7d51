-- eraseUser, the sessions: ARGV[4] user id, ARGV[5] now, ARGV[6] most
-- sessions to end. Ends up to that many of the user's active sessions
-- (oldest first) with reason ERASED; the last one's end also announces the
-- user's UserLeft (erased) and drops their name. The caller repeats until a
-- call ends fewer than the limit, so one call never holds Redis for long.
-- Returns JSON { ended = [session ids, in publish order], published = changes
-- published, cursor = the newest cursor after this call }.
local now, limit = tonumber(ARGV[5]), tonumber(ARGV[6])
local nowText = int(now)
local ended = {}
for _, id in ipairs(redis.call('ZRANGE', userSessionsKey(ARGV[4]), 0, limit - 1)) do
  if endSession(id, 'ERASED', nowText) then ended[#ended + 1] = id end
end
publishChanges(now)
-- An empty `ended` encodes as {}, which the reply's parser reads as an empty list.
local cursor = lastSeq or tonumber(redis.call('GET', K.seq)) or 0
return cjson.encode({ ended = ended, published = #changes, cursor = cursor })
