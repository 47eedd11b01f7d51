-- Ends one session if it is still active. ZREM decides: when processes race
-- for the same session (two sweepers, logout during expiry, two erasures)
-- exactly one removes it, and only that one emits SessionEnded (and UserLeft).
-- An ERASED end announces ids and times only (erasedSession in
-- domain/activity.ts): nothing personal is published or kept again.
-- Returns the ended session's JSON, or nil when it was not active.
local function erasedSessionText(s)
  local f = s.f
  return sessionText({ f[1], f[2], 'null', 'null', 'null', 'null', f[7], f[8], f[9] })
end

local function endSession(id, reason, nowText)
  if redis.call('ZREM', K.sessions, id) == 0 then return nil end
  local s = loadSession(id)
  local erased = reason == 'ERASED'
  redis.call('DEL', sessionKey(id))
  movePath(pathOf(s), nil)
  local userKey = userSessionsKey(s.userId)
  redis.call('ZREM', userKey, id)
  local ended = erased and erasedSessionText(s) or s.text
  local head = '"at":' .. nowText
  local cursor = nextCursor()
  emit(cursor, '{"cursor":' .. cursor .. ',"type":"SessionEnded",' .. head .. ',"session":' .. ended .. ',"reason":"' .. reason .. '"}',
    not erased and s.userId or nil)
  local latest = redis.call('ZREVRANGE', userKey, 0, 0, 'WITHSCORES')
  if #latest > 0 then
    -- The user stays, as recent as their most recent remaining session.
    redis.call('ZADD', K.users, latest[2], s.userId)
    return ended
  end
  redis.call('ZREM', K.users, s.userId)
  local user = '"user":{"id":' .. s.f[2] .. ',"name":'
  if erased then
    redis.call('HDEL', K.names, s.userId)
    cursor = nextCursor()
    emit(cursor, '{"cursor":' .. cursor .. ',"type":"UserLeft",' .. head .. ',' .. user .. 'null},"path":null,"erased":true}', nil)
    return ended
  end
  local name = jsonString(userName(s.userId))
  redis.call('HDEL', K.names, s.userId)
  cursor = nextCursor()
  emit(cursor, '{"cursor":' .. cursor .. ',"type":"UserLeft",' .. head .. ',' .. user .. name .. '},"path":' .. s.f[5] .. '}', s.userId)
  return ended
end
