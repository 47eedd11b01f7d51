-- record: KEYS[6] the counter of events received this second, KEYS[7] this minute's;
-- ARGV[4] the batch as JSON, one array per event: [sessionId, userId, userName,
-- ipAddress, path, userAgent, at] (absent fields null, `at` as a decimal string);
-- ARGV[5] now (receipt time); ARGV[6] '1' to answer the sessions, '0' not to.
-- Returns { 'mismatch', batch indexes... } having written nothing, else
-- { 'recorded', changes published } followed, when asked, by the JSON array of
-- each event's session after the batch.
local EVENT_COUNTER_TTL_SECONDS = '120'
-- A minute's counter is read until MINUTE_HISTORY_LENGTH minutes after that
-- minute began; one minute more leaves room for clocks that differ a little.
local MINUTE_COUNTER_TTL_SECONDS = int((MINUTE_HISTORY_LENGTH + 1) * 60)
local NULL = cjson.null
-- The row columns.
local SESSION_ID, USER_ID, USER_NAME, AT = 1, 2, 3, 7
-- The row columns a later event overwrites when not null: userName, ipAddress, path, userAgent.
local OVERWRITTEN_FIRST, OVERWRITTEN_LAST = 3, 6

local rows = cjson.decode(ARGV[4])
local wantSessions = ARGV[6] == '1'

-- JSON escapes are written with a backslash, so a batch without one holds
-- only strings that need none: they become JSON by adding quotes.
local PLAIN = not find(ARGV[4], '\\', 1, true)

-- The JSON text of a row's string field; null stays null.
local function textOf(value)
  if value == NULL then return 'null' end
  if PLAIN then return '"' .. value .. '"' end
  return cjson.encode(value)
end

local function valueOf(value)
  if value == NULL then return nil end
  return value
end

-- Times arrive as text, which is how they are stored and published; the
-- comparisons need their value, read once per distinct time.
local times = {}
local function timeOf(text)
  local t = times[text]
  if t == nil then
    t = tonumber(text)
    times[text] = t
  end
  return t
end

-- The values of one column of the batch, each once, in the order the batch first names them.
local function distinct(column)
  local values, seen = {}, {}
  for _, r in ipairs(rows) do
    local value = r[column]
    if not seen[value] then
      seen[value] = true
      values[#values + 1] = value
    end
  end
  return values
end

-- The batch's sessions.
local ids = distinct(SESSION_ID)

-- Each session as stored before the batch (false when not active), read with
-- one MGET; an id missing from it may still be an active legacy hash, which
-- the sessions index tells.
local indexed = nil
local function active(id)
  if indexed == nil then
    indexed = {}
    for i, score in ipairs(chunked('ZMSCORE', K.sessions, ids)) do indexed[ids[i]] = score ~= false end
  end
  return indexed[id]
end
local keys = sessionKeys(ids)
local stored = loadSessions(ids, keys, active)

-- A session belongs to its stored user, or to the first user the batch names for it.
local function mismatches()
  local owners, bad = {}, {}
  for i, r in ipairs(rows) do
    local id = r[SESSION_ID]
    local owner = owners[id]
    if owner == nil then
      owner = stored[id] and stored[id].userId or r[USER_ID]
      owners[id] = owner
    end
    if owner ~= r[USER_ID] then bad[#bad + 1] = i - 1 end
  end
  return bad
end

-- The batch's writes to the shared indexes (the sessions, users and paths
-- sorted sets, the names hash, each user's sessions) are gathered and made once per key at the
-- end, not once per event: what the batch itself reads back (a user's score
-- and name) is answered from what it gathered. Scores are kept as the text
-- of the event's time.
local sessionScores, userSessionScores, pathDeltas = {}, {}, {}
local users, names = {}, {}

-- The batch's users' scores, read with one ZMSCORE when first needed.
local function loadUsers()
  local userIds = distinct(USER_ID)
  for i, score in ipairs(chunked('ZMSCORE', K.users, userIds)) do
    users[userIds[i]] = { score = score and tonumber(score) or false, text = score or nil, changed = false }
  end
end

-- A user's score as the batch sees it: false when not active.
local function userEntry(userId)
  if next(users) == nil then loadUsers() end
  return users[userId]
end

-- The JSON text of a user's name as the batch sees it.
local function nameText(userId)
  local pending = names[userId]
  if pending ~= nil then return textOf(pending) end
  return jsonString(userName(userId))
end

local function hasName(userId)
  return names[userId] ~= nil or redis.call('HEXISTS', K.names, userId) == 1
end

-- A session's score in its user's index, which orders their sessions in a
-- page and is kept exact. Each user's are kept as ZADD's arguments, in event
-- order: a session named twice keeps its last score, its latest event's.
local function indexForUser(s, atText)
  local mine = userSessionScores[s.userId]
  if mine == nil then
    userSessionScores[s.userId] = { atText, s.id }
  else
    mine[#mine + 1] = atText
    mine[#mine + 1] = s.id
  end
end

-- Moves one session between paths; nil is "no path" and is not counted.
local function shiftPath(from, to)
  if from == to then return end
  if from ~= nil then pathDeltas[from] = (pathDeltas[from] or 0) - 1 end
  if to ~= nil then pathDeltas[to] = (pathDeltas[to] or 0) + 1 end
end

-- The user's lastSeen only grows; their name follows their latest event that names them.
local function touchUser(userId, at, atText, name)
  local u = userEntry(userId)
  local lastSeen = u.score or nil
  if name ~= nil and (lastSeen == nil or at >= lastSeen or not hasName(userId)) then names[userId] = name end
  if lastSeen == nil or at > lastSeen then
    u.score, u.text = at, atText
    u.changed = true
  end
end

local function startSession(r, at)
  local atText = r[AT]
  local f = { textOf(r[1]), textOf(r[2]), textOf(r[3]), textOf(r[4]), textOf(r[5]), textOf(r[6]), atText, atText, '1' }
  local s = { f = f, text = sessionText(f), id = r[SESSION_ID], userId = r[USER_ID], lastSeen = at, eventCount = 1 }
  local joined = userEntry(s.userId).score == false
  -- The sessions index (expiry's) is written only here: as the session is
  -- seen again its score lags its lastSeen, and expire.lua repairs it.
  sessionScores[s.id] = atText
  indexForUser(s, atText)
  shiftPath(nil, valueOf(r[5]))
  touchUser(s.userId, at, atText, valueOf(r[USER_NAME]))
  local cursor = nextCursor()
  emit(cursor, '{"cursor":' .. cursor .. ',"type":"SessionStarted","at":' .. atText .. ',"session":' .. s.text .. '}', s.userId)
  if joined then
    cursor = nextCursor()
    emit(cursor, '{"cursor":' .. cursor .. ',"type":"UserJoined","at":' .. atText .. ',"user":{"id":' .. f[2] .. ',"name":' ..
      nameText(s.userId) .. '},"path":' .. f[5] .. '}', s.userId)
  end
  return s
end

local function updateSession(s, r, at)
  local atText, f = r[AT], s.f
  local previousPath = f[5]
  s.eventCount = s.eventCount + 1
  f[9] = int(s.eventCount)
  -- Only the latest event may move the session or rename it; an older one just counts.
  if at >= s.lastSeen then
    s.lastSeen, f[8] = at, atText
    for i = OVERWRITTEN_FIRST, OVERWRITTEN_LAST do
      if r[i] ~= NULL then f[i] = textOf(r[i]) end
    end
    indexForUser(s, atText)
  end
  s.text = sessionText(f)
  -- Compared as JSON first: the strings are needed only when the session moved.
  if f[5] ~= previousPath then shiftPath(plainString(previousPath), plainString(f[5])) end
  touchUser(s.userId, at, atText, valueOf(r[USER_NAME]))
  local cursor = nextCursor()
  emit(cursor, '{"cursor":' .. cursor .. ',"type":"SessionUpdated","at":' .. atText .. ',"session":' .. s.text ..
    ',"previousPath":' .. previousPath .. '}', s.userId)
end

local function zaddAll(key, scores)
  local args = {}
  for member, score in pairs(scores) do
    args[#args + 1] = score
    args[#args + 1] = member
  end
  if #args > 0 then chunked('ZADD', key, args) end
end

-- The paths' new counts, read with one ZMSCORE and written with one ZADD; a
-- path no session is on any more is removed.
local function writePathCounts()
  local paths, deltas = {}, {}
  for path, delta in pairs(pathDeltas) do
    if delta ~= 0 then
      paths[#paths + 1] = path
      deltas[#deltas + 1] = delta
    end
  end
  if #paths == 0 then return end
  local counts, gone = {}, {}
  for i, stored in ipairs(chunked('ZMSCORE', K.paths, paths)) do
    local total = (tonumber(stored) or 0) + deltas[i]
    if total > 0 then counts[paths[i]] = int(total) else gone[#gone + 1] = paths[i] end
  end
  zaddAll(K.paths, counts)
  if #gone > 0 then chunked('ZREM', K.paths, gone) end
end

local function writeIndexes()
  zaddAll(K.sessions, sessionScores)
  for userId, args in pairs(userSessionScores) do chunked('ZADD', userSessionsKey(userId), args) end
  local userScores = {}
  for userId, u in pairs(users) do
    if u.changed then userScores[userId] = u.text end
  end
  zaddAll(K.users, userScores)
  local args = {}
  for userId, name in pairs(names) do
    args[#args + 1] = userId
    args[#args + 1] = name
  end
  if #args > 0 then chunked('HSET', K.names, args) end
  writePathCounts()
end

local bad = mismatches()
if #bad > 0 then
  local reply = { 'mismatch' }
  for i, index in ipairs(bad) do reply[i + 1] = index end
  return reply
end

-- The batch's sessions as they end up, each once, in `ids` order.
local live = {}
for _, r in ipairs(rows) do
  local id, at = r[SESSION_ID], timeOf(r[AT])
  local s = live[id] or stored[id]
  if s then updateSession(s, r, at) else s = startSession(r, at) end
  live[id] = s
end
local touched = {}
for i, id in ipairs(ids) do touched[i] = live[id] end
saveSessions(touched, keys)
writeIndexes()
local count = int(#rows)
redis.call('INCRBY', KEYS[6], count)
redis.call('EXPIRE', KEYS[6], EVENT_COUNTER_TTL_SECONDS)
redis.call('INCRBY', KEYS[7], count)
redis.call('EXPIRE', KEYS[7], MINUTE_COUNTER_TTL_SECONDS)
publishChanges(tonumber(ARGV[5]))

if not wantSessions then return { 'recorded', #changes } end
local sessions = {}
for i, r in ipairs(rows) do sessions[i] = live[r[SESSION_ID]].text end
return { 'recorded', #changes, '[' .. concat(sessions, ',') .. ']' }
