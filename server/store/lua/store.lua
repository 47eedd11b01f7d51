-- Prepended to every store script: key names, session records, path counts
-- and the change log. Every script is called with the same first KEYS and
-- ARGV (see redis-scripts.ts); its own arguments follow them, and after those
-- come the same last three KEYS (the epoch, the history stream, its floor)
-- and four ARGV (the publish command, a fresh epoch candidate, the history
-- size, its max age in ms).
local K = { seq = KEYS[1], sessions = KEYS[2], users = KEYS[3], names = KEYS[4], paths = KEYS[5] }
local CHANNEL, SESSION_BASE, USER_SESSIONS_BASE = ARGV[1], ARGV[2], ARGV[3]
local EPOCH_KEY, HISTORY_KEY, HISTORY_FLOOR_KEY = KEYS[#KEYS - 2], KEYS[#KEYS - 1], KEYS[#KEYS]
-- PUBLISH on one Redis; SPUBLISH on a Cluster, where CHANNEL carries the
-- partition's tag, so the message stays on the master of the keys.
local PUBLISH_COMMAND = ARGV[#ARGV - 3]
local EPOCH_CANDIDATE, HISTORY_SIZE, HISTORY_MAX_AGE_MS = ARGV[#ARGV - 2], tonumber(ARGV[#ARGV - 1]), tonumber(ARGV[#ARGV])
-- XTRIM's MAXLEN as the text it came as (see `int` below).
local HISTORY_SIZE_TEXT = ARGV[#ARGV - 1]

-- Numbers reach Redis and JSON as text. A Lua number given to redis.call or
-- to cjson is printed with %.17g (or %.14g), several times dearer than %d for
-- a 13-digit time: integers are formatted with %d, or kept as the text they
-- arrived as.
local format, find, sub, concat = string.format, string.find, string.sub, table.concat
local function int(n) return format('%d', n) end

-- Redis takes a few thousand arguments per call comfortably; Lua's unpack has
-- a limit too. Even, so that pairs (ZADD, MSET) never straddle two calls.
local CHUNK = 1000

-- What chunked answers for a command whose reply is not a list: one shared
-- table, never written to, rather than a new one per call.
local NO_REPLIES = {}

-- Calls `command` (after `key`, unless nil) with `args`, a flat list, at most
-- CHUNK of them per call. Returns the list replies joined, in order.
local function chunked(command, key, args)
  if #args == 0 then return NO_REPLIES end
  -- Most calls fit in one: its reply is the answer, not copied into another table.
  if #args <= CHUNK then
    local reply
    if key then reply = redis.call(command, key, unpack(args)) else reply = redis.call(command, unpack(args)) end
    if type(reply) == 'table' then return reply end
    return NO_REPLIES
  end
  local replies = {}
  for from = 1, #args, CHUNK do
    local to = math.min(from + CHUNK - 1, #args)
    local reply
    if key then reply = redis.call(command, key, unpack(args, from, to)) else reply = redis.call(command, unpack(args, from, to)) end
    if type(reply) == 'table' then
      for _, value in ipairs(reply) do replies[#replies + 1] = value end
    end
  end
  return replies
end

-- JSON text of a string, or of nil as null.
local function jsonString(value)
  if value == nil then return 'null' end
  return cjson.encode(value)
end

-- The string a JSON string text stands for (nil for null). Ours are written
-- without escapes whenever the string needs none, so most need no decoding.
local function plainString(text)
  if text == 'null' then return nil end
  if not find(text, '\\', 1, true) then return sub(text, 2, -2) end
  return cjson.decode(text)
end

-- A session is stored as its wire JSON (SessionRecord, every field present,
-- in this order), one STRING per session: a batch loads its sessions with one
-- MGET and saves them with one MSET, and a session goes into a change, a
-- reply or a page as it is, never decoded and encoded again.
-- In the scripts a session is a table: `f`, its nine field values as JSON
-- texts in SESSION_FIELDS order; `text`, its JSON; and the values the scripts
-- compute with: `id` and `userId` as strings, `lastSeen` and `eventCount` as
-- numbers (its path, rarely needed as a string, is `pathOf(s)`).
local SESSION_FIELDS = { 'id', 'userId', 'userName', 'ipAddress', 'path', 'userAgent', 'startedAt', 'lastSeen', 'eventCount' }
-- What precedes each field's value in the stored JSON. A JSON string holds a
-- quote only escaped (\"), never after a comma, so the first `,"name":` after
-- the previous value is the next field's: the text is split with plain finds.
local FIELD_PREFIXES = {}
for i, name in ipairs(SESSION_FIELDS) do FIELD_PREFIXES[i] = (i == 1 and '{"' or ',"') .. name .. '":' end

-- One concatenation, so Lua builds the string once.
local function sessionText(f)
  return '{"id":' .. f[1] .. ',"userId":' .. f[2] .. ',"userName":' .. f[3] .. ',"ipAddress":' .. f[4] .. ',"path":' .. f[5] ..
    ',"userAgent":' .. f[6] .. ',"startedAt":' .. f[7] .. ',"lastSeen":' .. f[8] .. ',"eventCount":' .. f[9] .. '}'
end

local function sessionOf(id, f, text)
  return { f = f, text = text or sessionText(f), id = id, userId = plainString(f[2]), lastSeen = tonumber(f[8]), eventCount = tonumber(f[9]) }
end

-- A session's path, nil when it has none.
local function pathOf(s) return plainString(s.f[5]) end

local function parseSession(id, json)
  local f, from = {}, #FIELD_PREFIXES[1] + 1
  for i = 2, 9 do
    local at = find(json, FIELD_PREFIXES[i], from, true)
    f[i - 1] = sub(json, from, at - 1)
    from = at + #FIELD_PREFIXES[i]
  end
  f[9] = sub(json, from, -2)
  return sessionOf(id, f, json)
end

local function sessionKey(id) return SESSION_BASE .. id end
local function userSessionsKey(userId) return USER_SESSIONS_BASE .. userId end

-- Sessions written before they were stored as JSON were hashes of their
-- fields (numbers as integers, absent fields left out). MGET reads a hash as
-- missing, so an id known to be active but missing is read this way once;
-- the next save turns it into JSON.
local function legacySession(id)
  local flat = redis.call('HGETALL', sessionKey(id))
  if #flat == 0 then return nil end
  local h = {}
  for i = 1, #flat, 2 do h[flat[i]] = flat[i + 1] end
  local f = { jsonString(id) }
  for i = 2, 6 do f[i] = jsonString(h[SESSION_FIELDS[i]]) end
  for i = 7, 9 do f[i] = h[SESSION_FIELDS[i]] end
  return sessionOf(id, f)
end

-- The keys of the sessions `ids`, in order.
local function sessionKeys(ids)
  local keys = {}
  for i, id in ipairs(ids) do keys[i] = sessionKey(id) end
  return keys
end

-- The sessions `ids` (whose keys are `keys`) as stored: a table from id to
-- session, or to false when not active. `active(id)` tells whether an id
-- missing from the MGET is an active session nonetheless (a legacy hash), and
-- is asked only then.
local function loadSessions(ids, keys, active)
  local values = chunked('MGET', nil, keys)
  local found = {}
  for i, id in ipairs(ids) do
    local json = values[i]
    if json then
      found[id] = parseSession(id, json)
    else
      found[id] = active(id) and legacySession(id) or false
    end
  end
  return found
end

-- `active` for sessions an index lists: they are active, so one whose JSON
-- is missing can only be a legacy hash.
local function listedByIndex() return true end

-- One session known to be active (it is in an index), or nil when its record is missing.
local function loadSession(id)
  return loadSessions({ id }, { sessionKey(id) }, listedByIndex)[id] or nil
end

-- Saves `sessions` (whose keys are `keys`, in order) with one MSET, each as its JSON.
local function saveSessions(sessions, keys)
  local args = {}
  for i, s in ipairs(sessions) do
    args[2 * i - 1] = keys[i]
    args[2 * i] = s.text
  end
  chunked('MSET', nil, args)
end

local function userName(userId)
  return redis.call('HGET', K.names, userId) or nil
end

-- Moves one session between paths; nil is "no path" and is not counted.
local function movePath(from, to)
  if from == to then return end
  if from ~= nil and tonumber(redis.call('ZINCRBY', K.paths, '-1', from)) <= 0 then
    redis.call('ZREM', K.paths, from)
  end
  if to ~= nil then redis.call('ZINCRBY', K.paths, '1', to) end
end

-- Cursors come from one counter and the message is published by this same
-- script, so publish order is cursor order across every process. The counter
-- is read once and written once per script (scripts run alone, so nothing
-- comes between), not incremented once per change.
-- Each change is kept as its JSON text, written once (the message and the
-- history entry share it), with its cursor as text.
local changes = {}
local lastSeq = nil

-- The next cursor, as text: the caller writes it into the change it then emits.
local function nextCursor()
  lastSeq = (lastSeq or tonumber(redis.call('GET', K.seq)) or 0) + 1
  return int(lastSeq)
end

-- Appends a change: `text` is its JSON, whose cursor `cursor` came from
-- nextCursor; `user` the id of the user it is about (its history entry's
-- `user`, so that erasing them can find it), or nil for an erasure's
-- announcement: a later erasure of the same user must not delete what a
-- resuming subscriber needs to drop their sessions.
local function emit(cursor, text, user)
  changes[#changes + 1] = { cursor = cursor, text = text, user = user }
end

-- The highest cursor known to be gone from the history (trimmed by age, or
-- lost when the stream expired): a replay from before it cannot recover.
local function historyFloor()
  return tonumber(redis.call('GET', HISTORY_FLOOR_KEY)) or 0
end

local function raiseHistoryFloor(cursor)
  if cursor > historyFloor() then redis.call('SET', HISTORY_FLOOR_KEY, int(cursor)) end
end

-- Stream ids are the cursors, so a replay reads a range by cursor; `now` (the
-- write's time) is what the history's age is measured by. One XTRIM MAXLEN ~
-- after the script's entries (not one per XADD: a call's arguments cost more
-- than the trim) trims in whole nodes, keeping at least HISTORY_SIZE;
-- replay.lua enforces the exact bound.
-- The stream expires HISTORY_MAX_AGE_MS after the last write, so a Redis no
-- Pulse process sweeps still loses it on time; a write that finds it gone
-- first raises the floor over every cursor it held.
local function publishChanges(now)
  if #changes == 0 then return end
  local before = tonumber(changes[1].cursor) - 1
  if before > 0 and redis.call('EXISTS', HISTORY_KEY) == 0 then raiseHistoryFloor(before) end
  redis.call('SET', K.seq, int(lastSeq))
  local texts, at = {}, int(now)
  for i, change in ipairs(changes) do
    texts[i] = change.text
    -- XADD reads an id without its sequence part, the cursor, as `<cursor>-0`.
    if change.user then
      redis.call('XADD', HISTORY_KEY, change.cursor, 'change', change.text, 'at', at, 'user', change.user)
    else
      redis.call('XADD', HISTORY_KEY, change.cursor, 'change', change.text, 'at', at)
    end
  end
  redis.call('XTRIM', HISTORY_KEY, 'MAXLEN', '~', HISTORY_SIZE_TEXT)
  redis.call('PEXPIRE', HISTORY_KEY, HISTORY_MAX_AGE_MS)
  -- The brackets go on the first and last texts: wrapping the joined message would copy it once more.
  texts[1] = '[' .. texts[1]
  texts[#texts] = texts[#texts] .. ']'
  redis.call(PUBLISH_COMMAND, CHANNEL, concat(texts, ','))
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
