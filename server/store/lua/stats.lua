-- stats: KEYS[6..] the event counters (see read.lua); ARGV[4] now, ARGV[5] topPaths limit.
return cjson.encode(stats(tonumber(ARGV[4]), tonumber(ARGV[5])))
