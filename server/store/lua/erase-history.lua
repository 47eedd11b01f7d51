-- eraseUser, the history: ARGV[4] user id, ARGV[5] first cursor to look at,
-- ARGV[6] the last (the cursor the erasure reached: later entries are not
-- its to touch), ARGV[7] most entries to look at. XDELs the entries whose
-- `user` field is the user; erasure announcements carry none, so they stay.
-- Returns JSON { removed = entries deleted, next = the cursor to go on from,
-- absent when the range is done }. XDEL counts only what it deleted, so
-- racing erasures never count an entry twice.
local user, count = ARGV[4], tonumber(ARGV[7])
local entries = redis.call('XRANGE', HISTORY_KEY, ARGV[5] .. '-0', ARGV[6] .. '-0', 'COUNT', count)
local doomed = {}
for _, entry in ipairs(entries) do
  local fields = entry[2]
  for f = 1, #fields, 2 do
    if fields[f] == 'user' and fields[f + 1] == user then doomed[#doomed + 1] = entry[1] end
  end
end
local removed = 0
if #doomed > 0 then removed = redis.call('XDEL', HISTORY_KEY, unpack(doomed)) end
if #entries < count then return cjson.encode({ removed = removed }) end
local last = tonumber(string.match(entries[#entries][1], '^(%d+)'))
return cjson.encode({ removed = removed, next = last + 1 })
