-- KEYS: the holder's lease ZSET and count HASH. ARGV[1]: heartbeat key prefix. Returns the number of live leases.
return live_leases(KEYS[1], KEYS[2], ARGV[1], false)
