-- Prepended to every store script: key names, session records, path counts
-- and the change log. Every script is called with the same first KEYS and
-- ARGV (see redis-scripts.ts); its own arguments follow them, and after those
-- come the same last two KEYS (the epoch, the history stream) and ARGV (a
-- fresh epoch candidate, the history size).
local K = { seq = KEYS[1], sessions = KEYS[2], users = KEYS[3], names = KEYS[4], paths = KEYS[5] }
local CHANNEL, SESSION_BASE, USER_SESSIONS_BASE = ARGV[1], ARGV[2], ARGV[3]
local EPOCH_KEY, HISTORY_KEY = KEYS[#KEYS - 1], KEYS[#KEYS]
local EPOCH_CANDIDATE, HISTORY_SIZE = ARGV[#ARGV - 1], tonumber(ARGV[#ARGV])

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

-- Stream ids are the cursors, so a replay reads a range by cursor; `now` (the
-- write's time) is what the history's age is measured by. MAXLEN ~ trims in
-- whole nodes, keeping at least HISTORY_SIZE; replay.lua enforces the exact bound.
local function publishChanges(now)
  if #changes == 0 then return end
  redis.call('SET', K.seq, lastSeq)
  -- Each change is encoded once, for its history entry and for the message.
  local encoded, at = {}, string.format('%d', now)
  for i, change in ipairs(changes) do
    encoded[i] = cjson.encode(change)
    redis.call('XADD', HISTORY_KEY, 'MAXLEN', '~', HISTORY_SIZE, string.format('%d-0', change.cursor), 'change', encoded[i], 'at', at)
  end
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
