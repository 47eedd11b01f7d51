-- replay: ARGV[4] the epoch resumed from, ARGV[5] the cursor resumed from,
-- ARGV[6] most changes wanted, ARGV[7] now.
-- Returns JSON { recovered = true, epoch, cursor = newest cursor, changes =
-- [every change after the cursor still kept] } or { recovered = false,
-- reason = ..., epoch }.
-- One script, so the changes and the cursor describe one moment.
-- An empty ARGV[4] asks for any epoch: the reply names the log's (field
-- `epoch`, refusals included), for a caller that checks the epochs of
-- several partitions at once (partitioned.ts).
local epoch = currentEpoch()
local function refuse(reason) return cjson.encode({ recovered = false, reason = reason, epoch = epoch }) end

if ARGV[4] ~= '' and ARGV[4] ~= epoch then return refuse('OTHER_EPOCH') end
local since, current = tonumber(ARGV[5]), tonumber(redis.call('GET', K.seq)) or 0
-- A position this log never reached: the cursor was issued by another life of it.
if since > current then return refuse('OTHER_EPOCH') end
local missed = current - since
if missed > tonumber(ARGV[6]) or missed > HISTORY_SIZE then return refuse('CURSOR_TOO_OLD') end
-- Below the floor, changes were trimmed by age (or lost with the stream).
if missed > 0 and since < historyFloor() then return refuse('CURSOR_TOO_OLD') end

-- Above the floor, and within HISTORY_SIZE of the newest (MAXLEN ~ keeps at
-- least that many entries), a cursor absent from the range can only be an
-- entry eraseUser deleted: it is simply not replayed.
local entries = {}
if missed > 0 then entries = redis.call('XRANGE', HISTORY_KEY, string.format('%d-0', since + 1), '+', 'COUNT', missed) end
-- Unless the stream itself expired (no write since to raise the floor over it).
if missed > 0 and #entries == 0 and redis.call('EXISTS', HISTORY_KEY) == 0 then return refuse('CURSOR_TOO_OLD') end

local oldest = tonumber(ARGV[7]) - HISTORY_MAX_AGE_MS
local changes = {}
for i, entry in ipairs(entries) do
  local fields = {}
  for f = 1, #entry[2], 2 do fields[entry[2][f]] = entry[2][f + 1] end
  if i == 1 and tonumber(fields.at) < oldest then return refuse('CURSOR_TOO_OLD') end
  changes[i] = fields.change
end
-- The changes are stored as JSON already: splice them in rather than decode and encode them again.
return '{"recovered":true,"epoch":' .. jsonString(epoch) .. ',"cursor":' .. string.format('%d', current) .. ',"changes":[' .. table.concat(changes, ',') .. ']}'
