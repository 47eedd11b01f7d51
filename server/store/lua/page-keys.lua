-- The positions of one partition's next ARGV[4] active users after the
-- cursor (ARGV[5] its lastSeen, '' for none; ARGV[6] its userId), for the
-- first phase of a page merged across partitions (partitioned.ts): a Redis
-- list userId, lastSeen, userId, lastSeen… by (lastSeen, userId) descending.
-- No user is loaded: O(log² n + count).
local from = nil
if ARGV[5] ~= '' then from = { score = tonumber(ARGV[5]), member = ARGV[6] } end
local rank = from and rankAfter(from) or 0
local count = tonumber(ARGV[4])
if count <= 0 then return {} end
return redis.call('ZREVRANGE', K.users, rank, rank + count - 1, 'WITHSCORES')
