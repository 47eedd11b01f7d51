-- Prepended to the read scripts: stats and one page of active users, each
-- read inside one script so that what they return is one consistent state.

-- KEYS[6..] of stats and snapshot: the per-second event counters of the last
-- WINDOW_SECONDS seconds, then the per-minute ones of the last
-- MINUTE_HISTORY_LENGTH minutes, each oldest first (both constants come from
-- redis-scripts.ts, which passes the keys). A counter never written, or
-- expired, reads as 0.
local FIRST_SECOND_KEY = 6
local FIRST_MINUTE_KEY = FIRST_SECOND_KEY + WINDOW_SECONDS

-- The counts of `length` counter keys from KEYS[first], as numbers, and their sum.
local function countsOf(first, length)
  local counts, total = redis.call('MGET', unpack(KEYS, first, first + length - 1)), 0
  for i = 1, length do
    counts[i] = tonumber(counts[i]) or 0
    total = total + counts[i]
  end
  return counts, total
end

-- Busiest first, ties by path ascending: ZREVRANGE alone would list ties descending,
-- so each count's paths are read ascending with ZRANGEBYSCORE. O(limit log n).
local function topPaths(limit)
  local top, ceiling = {}, '+inf'
  while #top < limit do
    local highest = redis.call('ZREVRANGEBYSCORE', K.paths, ceiling, '-inf', 'WITHSCORES', 'LIMIT', 0, 1)
    if #highest == 0 then break end
    local count = highest[2]
    for _, path in ipairs(redis.call('ZRANGEBYSCORE', K.paths, count, count, 'LIMIT', 0, limit - #top)) do
      top[#top + 1] = { path = path, sessions = tonumber(count) }
    end
    ceiling = '(' .. count
  end
  return top
end

local function stats(now, topPathsLimit)
  local perSecond, lastMinute = countsOf(FIRST_SECOND_KEY, WINDOW_SECONDS)
  return {
    activeUsers = redis.call('ZCARD', K.users), activeSessions = redis.call('ZCARD', K.sessions),
    eventsLastMinute = lastMinute, eventsPerSecond = perSecond, eventsPerMinute = (countsOf(FIRST_MINUTE_KEY, MINUTE_HISTORY_LENGTH)),
    topPaths = topPaths(topPathsLimit), at = now,
  }
end

-- Sorted-set members compare bytewise; Lua's `<` would follow the server's locale.
local function memberBelow(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

-- Whether (score, member) comes strictly after `from` in descending order.
local function pastCursor(score, member, from)
  return from == nil or score < from.score or (score == from.score and memberBelow(member, from.member))
end

-- Descending rank of the first user strictly after `from`, whether or not `from`
-- is still there: users tied on its score are listed by member descending, so
-- binary search them for the first one below its member. O(log² n).
local function rankAfter(from)
  local lo = redis.call('ZCOUNT', K.users, '(' .. from.score, '+inf')
  local hi = lo + redis.call('ZCOUNT', K.users, from.score, from.score)
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if memberBelow(redis.call('ZREVRANGE', K.users, mid, mid)[1], from.member) then hi = mid else lo = mid + 1 end
  end
  return lo
end

-- Iterates (member, score, score as text) of users by lastSeen descending, after `from`, `chunk` at a time.
local function usersAfter(from, chunk)
  local rank = from and rankAfter(from) or 0
  local batch, i = {}, 1
  return function()
    if i > #batch then
      batch, i = redis.call('ZREVRANGE', K.users, rank, rank + chunk - 1, 'WITHSCORES'), 1
      rank = rank + chunk
      if #batch == 0 then return nil end
    end
    i = i + 2
    return batch[i - 2], tonumber(batch[i - 1]), batch[i - 1]
  end
end

-- The userId filter: that one user, if active and past the cursor.
local function oneUser(userId, from)
  local text = redis.call('ZSCORE', K.users, userId)
  local score = tonumber(text)
  return function()
    if score == nil or not pastCursor(score, userId, from) then return nil end
    local found = score
    score = nil
    return userId, found, text
  end
end

local function startsWith(text, prefix)
  return text ~= nil and string.sub(text, 1, #prefix) == prefix
end

-- A user as listed, as JSON: their `q.perUser` most recent sessions, or with
-- a prefix the matching ones among their SESSION_SCAN_BOUND most recent; nil
-- when none is left. Also what the user costs against the page's scan bound
-- (sessions looked at under a prefix, else 1): the same rule as the memory
-- store's. Each chunk of sessions is read with one MGET.
local function activeUser(userId, lastSeenText, q)
  local key = userSessionsKey(userId)
  local limit = q.prefix and SESSION_SCAN_BOUND or q.perUser
  local chunk = q.prefix and 50 or q.perUser
  local sessions, looked = {}, 0
  repeat
    local ids = redis.call('ZREVRANGE', key, looked, looked + chunk - 1)
    local loaded = loadSessions(ids, sessionKeys(ids), listedByIndex)
    for _, id in ipairs(ids) do
      if #sessions >= q.perUser or looked >= limit then break end
      looked = looked + 1
      local s = loaded[id]
      if s and (q.prefix == nil or startsWith(pathOf(s), q.prefix)) then sessions[#sessions + 1] = s.text end
    end
  until #ids < chunk or #sessions >= q.perUser or looked >= limit
  local cost = q.prefix and math.max(1, looked) or 1
  if #sessions == 0 then return nil, cost end
  -- Without a prefix, a short first range was the whole set: its length is the count.
  local count = (q.prefix == nil and looked < q.perUser) and looked or redis.call('ZCARD', key)
  return '{"id":' .. jsonString(userId) .. ',"name":' .. jsonString(userName(userId)) .. ',"lastSeen":' .. lastSeenText ..
    ',"sessionCount":' .. int(count) .. ',"sessions":[' .. concat(sessions, ',') .. ']}', cost
end

-- Reads a page query from ARGV[i..i+6]: first, scan bound, after score, after
-- member, userId, pathPrefix ('' for none), sessions per user.
local function pageQuery(i)
  local function optional(value) if value == '' then return nil end return value end
  local from = nil
  if ARGV[i + 2] ~= '' then from = { score = tonumber(ARGV[i + 2]), member = ARGV[i + 3] } end
  return {
    first = tonumber(ARGV[i]), bound = tonumber(ARGV[i + 1]), from = from,
    userId = optional(ARGV[i + 4]), prefix = optional(ARGV[i + 5]), perUser = tonumber(ARGV[i + 6]),
  }
end

-- The page as JSON: { users, hasNextPage, resume? }.
local function pageText(users, hasNextPage, resume)
  local text = '{"users":[' .. concat(users, ',') .. '],"hasNextPage":' .. tostring(hasNextPage)
  if resume then text = text .. ',"resume":[' .. resume[1] .. ',' .. jsonString(resume[2]) .. ']' end
  return text .. '}'
end

-- Takes matching users until the page is full; one more match tells there is a
-- next page (without a prefix every user matches, so one more need not be
-- loaded). A scan stopped by the bound also has one, resuming after the last
-- user examined (`resume`, as [score, member]). Returns the page as JSON.
local function page(q)
  local nextUser = q.userId and oneUser(q.userId, q.from) or usersAfter(q.from, q.prefix and 100 or q.first + 1)
  local users, examined, last = {}, 0, nil
  for member, _, scoreText in nextUser do
    if examined >= q.bound or (q.prefix == nil and #users >= q.first) then return pageText(users, true, last) end
    local user, cost = activeUser(member, scoreText, q)
    if user and #users >= q.first then return pageText(users, true, last) end
    examined = examined + cost
    last = { scoreText, member }
    if user then users[#users + 1] = user end
  end
  return pageText(users, false, nil)
end

-- This partition's paths as a merge across partitions reads them
-- (merge-stats.ts), in topPaths order: the whole set when it holds at most
-- `whole` paths or `depth` reach it (flag 1); else its `depth` busiest
-- (flag 0), the last one the bound on every path not listed. One JSON text
-- [count, [paths…], count, [paths…]…]: each distinct count is read once with
-- its paths by ZRANGEBYSCORE without WITHSCORES (formatting a score per path
-- costs Redis more than the rest of the read), and one string costs Node far
-- less to take apart than a Redis list of thousands. O(d log n + listed) for
-- d distinct counts.
local function pathList(depth, whole)
  local size = redis.call('ZCARD', K.paths)
  local complete = size <= whole or size <= depth
  local limit = complete and size or depth
  local groups, listed, ceiling = {}, 0, '+inf'
  while listed < limit do
    local highest = redis.call('ZREVRANGEBYSCORE', K.paths, ceiling, '-inf', 'WITHSCORES', 'LIMIT', 0, 1)
    if #highest == 0 then break end
    local count = highest[2]
    local paths = redis.call('ZRANGEBYSCORE', K.paths, count, count, 'LIMIT', 0, limit - listed)
    groups[#groups + 1] = tonumber(count)
    groups[#groups + 1] = paths
    listed = listed + #paths
    ceiling = '(' .. count
  end
  if #groups == 0 then return complete and 1 or 0, '[]' end
  return complete and 1 or 0, cjson.encode(groups)
end
