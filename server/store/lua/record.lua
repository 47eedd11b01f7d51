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

-- The batch's writes to the shared indexes (the sessions, users and paths
-- sorted sets, the names hash) are gathered and made once per key at the
-- end, not once per event: what the batch itself reads back (a user's score
-- and name) is answered from what it gathered.
local sessionScores, userSessionScores, pathDeltas = {}, {}, {}
local users, names = {}, {}

-- A user's score as the batch sees it: false when not active.
local function userEntry(userId)
  local u = users[userId]
  if u == nil then
    u = { score = tonumber(redis.call('ZSCORE', K.users, userId)) or false, changed = false }
    users[userId] = u
  end
  return u
end

local function nameOf(userId)
  local pending = names[userId]
  if pending ~= nil then return pending end
  return userName(userId)
end

local function hasName(userId)
  return names[userId] ~= nil or redis.call('HEXISTS', K.names, userId) == 1
end

local function indexSession(s)
  sessionScores[s.id] = s.lastSeen
  local mine = userSessionScores[s.userId]
  if mine == nil then
    mine = {}
    userSessionScores[s.userId] = mine
  end
  mine[s.id] = s.lastSeen
end

-- Moves one session between paths; nil is "no path" and is not counted.
local function shiftPath(from, to)
  if from == to then return end
  if from ~= nil then pathDeltas[from] = (pathDeltas[from] or 0) - 1 end
  if to ~= nil then pathDeltas[to] = (pathDeltas[to] or 0) + 1 end
end

-- The user's lastSeen only grows; their name follows their latest event that names them.
local function touchUser(userId, at, name)
  local u = userEntry(userId)
  local lastSeen = u.score or nil
  if name ~= nil and (lastSeen == nil or at >= lastSeen or not hasName(userId)) then names[userId] = name end
  if lastSeen == nil or at > lastSeen then
    u.score = at
    u.changed = true
  end
end

local function startSession(e)
  local s = {
    id = e.sessionId, userId = e.userId, userName = e.userName, ipAddress = e.ipAddress, path = e.path,
    userAgent = e.userAgent, startedAt = e.at, lastSeen = e.at, eventCount = 1,
  }
  local joined = userEntry(s.userId).score == false
  saveSession(s)
  indexSession(s)
  shiftPath(nil, s.path)
  touchUser(s.userId, e.at, e.userName)
  emit({ type = 'SessionStarted', at = e.at, session = sessionJson(s) })
  if joined then
    emit({ type = 'UserJoined', at = e.at, user = { id = s.userId, name = orNull(nameOf(s.userId)) }, path = orNull(s.path) })
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
    indexSession(s)
  end
  saveSession(s)
  shiftPath(previousPath, s.path)
  touchUser(s.userId, e.at, e.userName)
  emit({ type = 'SessionUpdated', at = e.at, session = sessionJson(s), previousPath = orNull(previousPath) })
end

-- Redis takes a few thousand arguments per call comfortably; Lua's unpack has a limit too.
local CHUNK = 1000

local function zaddAll(key, scores)
  local args = {}
  for member, score in pairs(scores) do
    args[#args + 1] = score
    args[#args + 1] = member
    if #args >= CHUNK then
      redis.call('ZADD', key, unpack(args))
      args = {}
    end
  end
  if #args > 0 then redis.call('ZADD', key, unpack(args)) end
end

local function writeIndexes()
  zaddAll(K.sessions, sessionScores)
  for userId, scores in pairs(userSessionScores) do zaddAll(userSessionsKey(userId), scores) end
  local userScores = {}
  for userId, u in pairs(users) do
    if u.changed then userScores[userId] = u.score end
  end
  zaddAll(K.users, userScores)
  local args = {}
  for userId, name in pairs(names) do
    args[#args + 1] = userId
    args[#args + 1] = name
    if #args >= CHUNK then
      redis.call('HSET', K.names, unpack(args))
      args = {}
    end
  end
  if #args > 0 then redis.call('HSET', K.names, unpack(args)) end
  for path, delta in pairs(pathDeltas) do
    if delta ~= 0 and tonumber(redis.call('ZINCRBY', K.paths, delta, path)) <= 0 then redis.call('ZREM', K.paths, path) end
  end
end

local bad = mismatches()
if #bad > 0 then return cjson.encode({ mismatch = bad }) end

local live = {}
for _, e in ipairs(inputs) do
  local s = live[e.sessionId] or stored[e.sessionId]
  if s then updateSession(s, e) else s = startSession(e) end
  live[e.sessionId] = s
end
writeIndexes()
redis.call('INCRBY', KEYS[6], #inputs)
redis.call('EXPIRE', KEYS[6], EVENT_COUNTER_TTL_SECONDS)
redis.call('INCRBY', KEYS[7], #inputs)
redis.call('EXPIRE', KEYS[7], MINUTE_COUNTER_TTL_SECONDS)
publishChanges(tonumber(ARGV[5]))

local sessions = {}
for i, e in ipairs(inputs) do sessions[i] = sessionJson(live[e.sessionId]) end
return cjson.encode({ sessions = sessions, published = #changes })
