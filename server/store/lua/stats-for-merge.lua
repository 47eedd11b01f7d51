-- stats of one partition for a merge across partitions (partitioned.ts):
-- KEYS[6..] the event counters (see read.lua); ARGV[4] now, ARGV[5] depth,
-- ARGV[6] whole-set bound. A Redis list: the figures as JSON (topPaths
-- empty), then pathList's flag and JSON.
local complete, paths = pathList(tonumber(ARGV[5]), tonumber(ARGV[6]))
return { cjson.encode(stats(tonumber(ARGV[4]), 0)), complete, paths }
