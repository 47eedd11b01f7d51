-- Ends one session if it is still active. ZREM decides: when processes race
-- for the same session (two sweepers, logout during expiry, two erasures)
-- exactly one removes it, and only that one emits SessionEnded (and UserLeft).
-- An ERASED end announces ids and times only (erasedSession in
-- domain/activity.ts): nothing personal is published or kept again.
local function erasedSessionJson(s)
  return {
    id = s.id, userId = s.userId, userName = cjson.null, ipAddress = cjson.null, path = cjson.null, userAgent = cjson.null,
    startedAt = s.startedAt, lastSeen = s.lastSeen, eventCount = s.eventCount,
  }
end

local function endSession(id, reason, now)
  if redis.call('ZREM', K.sessions, id) == 0 then return nil end
  local s = loadSession(id)
  local erased = reason == 'ERASED'
  redis.call('DEL', sessionKey(id))
  movePath(s.path, nil)
  local userKey = userSessionsKey(s.userId)
  redis.call('ZREM', userKey, id)
  local ended = erased and erasedSessionJson(s) or sessionJson(s)
  emit({ type = 'SessionEnded', at = now, session = ended, reason = reason })
  local latest = redis.call('ZREVRANGE', userKey, 0, 0, 'WITHSCORES')
  if #latest > 0 then
    -- The user stays, as recent as their most recent remaining session.
    redis.call('ZADD', K.users, latest[2], s.userId)
    return ended
  end
  redis.call('ZREM', K.users, s.userId)
  if erased then
    redis.call('HDEL', K.names, s.userId)
    emit({ type = 'UserLeft', at = now, user = { id = s.userId, name = cjson.null }, path = cjson.null, erased = true })
    return ended
  end
  local user = { id = s.userId, name = orNull(userName(s.userId)) }
  redis.call('HDEL', K.names, s.userId)
  emit({ type = 'UserLeft', at = now, user = user, path = orNull(s.path) })
  return ended
end
