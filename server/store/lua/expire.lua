-- expireIdle: ARGV[4] cutoff, ARGV[5] now, ARGV[6] limit, ARGV[7] most
-- repairs. Ends up to `limit` sessions last seen before the cutoff, oldest
-- first.
-- The sessions index scores a session by when it started: record.lua does
-- not touch it again as the session is seen (that was one sorted-set write
-- per event), so a score is no later than the session's lastSeen and an
-- entry below the cutoff is only a candidate. The first `limit` candidates
-- are read with their records; each seen since is given its lastSeen
-- (repaired), which moves it up, and the candidates are read again. Once
-- none needs repair they are the oldest idle sessions (any other entry's
-- score, and so its lastSeen, is no lower) and are ended. Each session is
-- repaired at most once per period it stays active, so the index costs a
-- write per session per idle timeout rather than per event.
-- Returns JSON: { ended = sessions ended, published = changes published,
-- more = true when it stopped at the repair bound, having ended none }.
local cutoff, now, limit, repairBound = ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local nowText = int(now)

-- The first `limit` candidates, as ids, and their scores repaired: an empty second list when all were exact.
local function candidates()
  local flat = redis.call('ZRANGEBYSCORE', K.sessions, '-inf', '(' .. cutoff, 'WITHSCORES', 'LIMIT', 0, limit)
  local ids, scores = {}, {}
  for i = 1, #flat, 2 do
    ids[#ids + 1] = flat[i]
    scores[#scores + 1] = tonumber(flat[i + 1])
  end
  local loaded = loadSessions(ids, sessionKeys(ids), listedByIndex)
  local repairs = {}
  for i, id in ipairs(ids) do
    -- A record gone missing cannot be repaired: ending it is what removes its entry.
    local s = loaded[id]
    if s and s.lastSeen ~= scores[i] then
      repairs[#repairs + 1] = s.f[8]
      repairs[#repairs + 1] = id
    end
  end
  if #repairs > 0 then chunked('ZADD', K.sessions, repairs) end
  return ids, #repairs / 2
end

local repaired = 0
local idle, fixed
repeat
  idle, fixed = candidates()
  repaired = repaired + fixed
until fixed == 0 or repaired >= repairBound
if fixed > 0 then return cjson.encode({ ended = 0, published = 0, more = true }) end
for _, id in ipairs(idle) do endSession(id, 'IDLE_TIMEOUT', nowText) end
publishChanges(now)
return cjson.encode({ ended = #idle, published = #changes, more = false })
