-- record: KEYS[6] the counter of events received this second, KEYS[7] this minute's;
-- ARGV[4] the batch as a JSON array of ActivityRecordInput, ARGV[5] now (receipt time).
-- Returns JSON: { mismatch = [batch indexes] } having written nothing,
-- or { sessions = [each event's session after the batch], published = changes published }.
local OVERWRITTEN = { 'userName', 'ipAddress', 'path', 'userAgent' }
local EVENT_COUNTER_TTL_SECONDS = 120
-- A minute's counter is read until MINUTE_HISTORY_LENGTH minutes after that
-- minute began; one minute more leaves room for clocks that differ a little.
local MINUTE_COUNTER_TTL_SECONDS = (MINUTE_HISTORY_LENGTH + 1) * 60

local function field(value)
  if value == cjson.null then return nil end
  return value
end

local inputs = {}
for i, e in ipairs(cjson.decode(ARGV[4])) do
  inputs[i] = {
    sessionId = e.sessionId, userId = e.userId, userName = field(e.userName), ipAddress = field(e.ipAddress),
    path = field(e.path), userAgent = field(e.userAgent), at = e.at,
  }
end

-- Each session of the batch as stored before it (false when not active), read once.
local stored = {}

-- A session belongs to its stored user, or to the first user the batch names for it.
local function mismatches()
  local owners, bad = {}, {}
  for i, e in ipairs(inputs) do
    local owner = owners[e.sessionId]
    if owner == nil then
      stored[e.sessionId] = loadSession(e.sessionId) or false
      owner = stored[e.sessionId] and stored[e.sessionId].userId or e.userId
      owners[e.sessionId] = owner
    end
    if owner ~= e.userId then bad[#bad + 1] = i - 1 end
  end
  return bad
end

-- The user's lastSeen only grows; their name follows their latest event that names them.
-- `lastSeen` is the user's score when the caller has read it already.
local function touchUser(userId, at, name, lastSeen)
  if lastSeen == nil then lastSeen = tonumber(redis.call('ZSCORE', K.users, userId)) end
  if lastSeen == false then lastSeen = nil end
  if name ~= nil and (lastSeen == nil or at >= lastSeen or redis.call('HEXISTS', K.names, userId) == 0) then
    redis.call('HSET', K.names, userId, name)
  end
  if lastSeen == nil or at > lastSeen then redis.call('ZADD', K.users, at, userId) end
end

local function startSession(e)
  local s = {
    id = e.sessionId, userId = e.userId, userName = e.userName, ipAddress = e.ipAddress, path = e.path,
    userAgent = e.userAgent, startedAt = e.at, lastSeen = e.at, eventCount = 1,
  }
  local userScore = tonumber(redis.call('ZSCORE', K.users, s.userId))
  local joined = userScore == nil
  saveSession(s)
  redis.call('ZADD', K.sessions, s.lastSeen, s.id)
  redis.call('ZADD', userSessionsKey(s.userId), s.lastSeen, s.id)
  movePath(nil, s.path)
  touchUser(s.userId, e.at, e.userName, userScore or false)
  emit({ type = 'SessionStarted', at = e.at, session = sessionJson(s) })
  if joined then
    -- A user that joins with a name has just been given it; only a nameless one needs the stored name.
    emit({ type = 'UserJoined', at = e.at, user = { id = s.userId, name = orNull(e.userName or userName(s.userId)) }, path = orNull(s.path) })
  end
  return s
end

local function updateSession(s, e)
  local previousPath = s.path
  s.eventCount = s.eventCount + 1
  -- Only the latest event may move the session or rename it; an older one just counts.
  if e.at >= s.lastSeen then
    s.lastSeen = e.at
    for _, f in ipairs(OVERWRITTEN) do
      if e[f] ~= nil then s[f] = e[f] end
    end
    redis.call('ZADD', K.sessions, s.lastSeen, s.id)
    redis.call('ZADD', userSessionsKey(s.userId), s.lastSeen, s.id)
  end
  saveSession(s)
  movePath(previousPath, s.path)
  touchUser(s.userId, e.at, e.userName)
  emit({ type = 'SessionUpdated', at = e.at, session = sessionJson(s), previousPath = orNull(previousPath) })
end

local bad = mismatches()
if #bad > 0 then return cjson.encode({ mismatch = bad }) end

local live = {}
for _, e in ipairs(inputs) do
  local s = live[e.sessionId] or stored[e.sessionId]
  if s then updateSession(s, e) else s = startSession(e) end
  live[e.sessionId] = s
end
redis.call('INCRBY', KEYS[6], #inputs)
redis.call('EXPIRE', KEYS[6], EVENT_COUNTER_TTL_SECONDS)
redis.call('INCRBY', KEYS[7], #inputs)
redis.call('EXPIRE', KEYS[7], MINUTE_COUNTER_TTL_SECONDS)
publishChanges(tonumber(ARGV[5]))

local sessions = {}
for i, e in ipairs(inputs) do sessions[i] = sessionJson(live[e.sessionId]) end
return cjson.encode({ sessions = sessions, published = #changes })
