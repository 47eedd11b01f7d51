-- trimHistory: ARGV[4] the cutoff (ms), ARGV[5] most entries to look at.
-- Deletes the entries written before the cutoff: walks from the oldest to
-- the first one written at or after it (ids are cursors, written in order),
-- XTRIMs everything below, and raises the floor to the highest cursor
-- trimmed, so a replay from before it answers CURSOR_TOO_OLD.
-- Returns JSON { trimmed = entries deleted, more = true when the walk
-- stopped at its bound before reaching the cutoff }.
-- The common case, nothing old enough, costs the one XRANGE.
local cutoff, budget = tonumber(ARGV[4]), tonumber(ARGV[5])
local CHUNK = 256

local function writtenAt(entry)
  local fields = entry[2]
  for f = 1, #fields, 2 do
    if fields[f] == 'at' then return tonumber(fields[f + 1]) end
  end
  return 0
end

local function cursorOf(id) return tonumber(string.match(id, '^(%d+)')) end

local oldest = redis.call('XRANGE', HISTORY_KEY, '-', '+', 'COUNT', 1)
if #oldest == 0 or writtenAt(oldest[1]) >= cutoff then return '{"trimmed":0,"more":false}' end

-- Walks chunk by chunk; `kept` is the first entry young enough, `last` the
-- newest one too old, `ended` whether the walk reached the stream's end.
local start, looked, kept, last, ended = '-', 0, nil, nil, false
while kept == nil and not ended and looked < budget do
  local want = math.min(CHUNK, budget - looked)
  local entries = redis.call('XRANGE', HISTORY_KEY, start, '+', 'COUNT', want)
  for _, entry in ipairs(entries) do
    if writtenAt(entry) >= cutoff then kept = entry[1]; break end
    last = entry[1]
  end
  looked = looked + #entries
  ended = #entries < want
  start = '(' .. last
end

local highest = cursorOf(last)
local trimmed = redis.call('XTRIM', HISTORY_KEY, 'MINID', kept or string.format('%d-0', highest + 1))
raiseHistoryFloor(highest)
local more = kept == nil and not ended
return cjson.encode({ trimmed = trimmed, more = more })
