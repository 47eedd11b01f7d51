-- snapshot: KEYS[6..] the event counters (see read.lua); ARGV[4] now,
-- ARGV[5] topPaths limit, ARGV[6..12] the page query. One script, so the page,
-- the stats and the cursor describe the same moment.
local users = page(pageQuery(6))
local cursor = tonumber(redis.call('GET', K.seq)) or 0
return '{"cursor":' .. int(cursor) .. ',"epoch":' .. jsonString(currentEpoch()) .. ',"stats":' ..
  cjson.encode(stats(tonumber(ARGV[4]), tonumber(ARGV[5]))) .. ',"page":' .. users .. '}'
