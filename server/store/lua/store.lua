-- Prepended to every store script: key names, session records, path counts
-- and the change log. Every script is called with the same first KEYS and
-- ARGV (see redis-scripts.ts); its own arguments follow them.
local K = { seq = KEYS[1], sessions = KEYS[2], users = KEYS[3], names = KEYS[4], paths = KEYS[5] }
local CHANNEL, SESSION_BASE, USER_SESSIONS_BASE = ARGV[1], ARGV[2], ARGV[3]

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
-- script, so publish order is cursor order across every process.
local changes = {}

local function emit(change)
  change.cursor = redis.call('INCR', K.seq)
  changes[#changes + 1] = change
end

local function publishChanges()
  if #changes > 0 then redis.call('PUBLISH', CHANNEL, cjson.encode(changes)) end
end
