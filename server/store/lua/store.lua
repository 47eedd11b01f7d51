-- Prepended to every store script: key names, session records, path counts
-- and the change log. Every script is called with the same first KEYS and
-- ARGV (see redis-scripts.ts); its own arguments follow them, and after those
-- come the same last three KEYS (the epoch, the history stream, its floor)
-- and ARGV (a fresh epoch candidate, the history size, its max age in ms).
local K = { seq = KEYS[1], sessions = KEYS[2], users = KEYS[3], names = KEYS[4], paths = KEYS[5] }
local CHANNEL, SESSION_BASE, USER_SESSIONS_BASE = ARGV[1], ARGV[2], ARGV[3]
local EPOCH_KEY, HISTORY_KEY, HISTORY_FLOOR_KEY = KEYS[#KEYS - 2], KEYS[#KEYS - 1], KEYS[#KEYS]
local EPOCH_CANDIDATE, HISTORY_SIZE, HISTORY_MAX_AGE_MS = ARGV[#ARGV - 2], tonumber(ARGV[#ARGV - 1]), tonumber(ARGV[#ARGV])

local SESSION_TEXT = { 'userId', 'userName', 'ipAddress', 'path', 'userAgent' }
local SESSION_NUMBERS = { 'startedAt', 'lastSeen', 'eventCount' }

local function sessionKey(id) return SESSION_BASE .. id end
local function userSessionsKey(userId) return USER_SESSIONS_BASE .. userId end

-- cjson writes nil fields as absent; the wire format wants explicit nulls.
local function orNull(value)
  if value == nil then return cjson.null end
  return value
end

-- A session as a table (absent optional fields are nil), or nil when not active.
local function loadSession(id)
  local flat = redis.call('HGETALL', sessionKey(id))
  if #flat == 0 then return nil end
  local s = { id = id }
  for i = 1, #flat, 2 do s[flat[i]] = flat[i + 1] end
  for _, f in ipairs(SESSION_NUMBERS) do s[f] = tonumber(s[f]) end
  return s
end

-- Optional fields only ever go from nil to a value, so HSET alone keeps the hash exact.
local function saveSession(s)
  local args = { 'HSET', sessionKey(s.id) }
  for _, f in ipairs(SESSION_TEXT) do
    if s[f] ~= nil then args[#args + 1] = f; args[#args + 1] = s[f] end
  end
  for _, f in ipairs(SESSION_NUMBERS) do
    args[#args + 1] = f; args[#args + 1] = string.format('%d', s[f])
  end
  redis.call(unpack(args))
end

local function sessionJson(s)
  return {
    id = s.id, userId = s.userId, userName = orNull(s.userName), ipAddress = orNull(s.ipAddress),
    path = orNull(s.path), userAgent = orNull(s.userAgent),
    startedAt = s.startedAt, lastSeen = s.lastSeen, eventCount = s.eventCount,
  }
end

local function userName(userId)
  return redis.call('HGET', K.names, userId) or nil
end

-- Moves one session between paths; nil is "no path" and is not counted.
local function movePath(from, to)
  if from == to then return end
  if from ~= nil and tonumber(redis.call('ZINCRBY', K.paths, -1, from)) <= 0 then
    redis.call('ZREM', K.paths, from)
  end
  if to ~= nil then redis.call('ZINCRBY', K.paths, 1, to) end
end

-- Cursors come from one counter and the message is published by this same
-- script, so publish order is cursor order across every process. The counter
-- is read once and written once per script (scripts run alone, so nothing
-- comes between), not incremented once per change.
local changes = {}
local lastSeq = nil

local function emit(change)
  lastSeq = (lastSeq or tonumber(redis.call('GET', K.seq)) or 0) + 1
  change.cursor = lastSeq
  changes[#changes + 1] = change
end

-- The highest cursor known to be gone from the history (trimmed by age, or
-- lost when the stream expired): a replay from before it cannot recover.
local function historyFloor()
  return tonumber(redis.call('GET', HISTORY_FLOOR_KEY)) or 0
end

local function raiseHistoryFloor(cursor)
  if cursor > historyFloor() then redis.call('SET', HISTORY_FLOOR_KEY, string.format('%d', cursor)) end
end

-- The user a history entry is about, so that erasing them can find it. An
-- erasure's own announcements carry none: a later erasure of the same user
-- must not delete what a resuming subscriber needs to drop their sessions.
local function historyUser(change)
  if change.reason == 'ERASED' or change.erased then return nil end
  if change.session then return change.session.userId end
  return change.user.id
end

-- Stream ids are the cursors, so a replay reads a range by cursor; `now` (the
-- write's time) is what the history's age is measured by. MAXLEN ~ trims in
-- whole nodes, keeping at least HISTORY_SIZE; replay.lua enforces the exact bound.
-- The stream expires HISTORY_MAX_AGE_MS after the last write, so a Redis no
-- Pulse process sweeps still loses it on time; a write that finds it gone
-- first raises the floor over every cursor it held.
local function publishChanges(now)
  if #changes == 0 then return end
  local before = changes[1].cursor - 1
  if before > 0 and redis.call('EXISTS', HISTORY_KEY) == 0 then raiseHistoryFloor(before) end
  redis.call('SET', K.seq, lastSeq)
  -- Each change is encoded once, for its history entry and for the message.
  local encoded, at = {}, string.format('%d', now)
  for i, change in ipairs(changes) do
    encoded[i] = cjson.encode(change)
    local id = string.format('%d-0', change.cursor)
    local user = historyUser(change)
    if user then
      redis.call('XADD', HISTORY_KEY, 'MAXLEN', '~', HISTORY_SIZE, id, 'change', encoded[i], 'at', at, 'user', user)
    else
      redis.call('XADD', HISTORY_KEY, 'MAXLEN', '~', HISTORY_SIZE, id, 'change', encoded[i], 'at', at)
    end
  end
  redis.call('PEXPIRE', HISTORY_KEY, HISTORY_MAX_AGE_MS)
  redis.call('PUBLISH', CHANNEL, '[' .. table.concat(encoded, ',') .. ']')
end

-- The log's epoch. The key goes with the counter when Redis is flushed (or
-- restarts empty), and the first script to miss it starts a new epoch with the
-- random candidate its caller drew, so cursors of the old log never match.
local function currentEpoch()
  local epoch = redis.call('GET', EPOCH_KEY)
  if epoch then return epoch end
  redis.call('SET', EPOCH_KEY, EPOCH_CANDIDATE)
  return EPOCH_CANDIDATE
end
