-- stats: KEYS[6..65] the event counters of the last 60 seconds; ARGV[4] now, ARGV[5] topPaths limit.
return cjson.encode(stats(tonumber(ARGV[4]), tonumber(ARGV[5])))
