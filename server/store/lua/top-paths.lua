-- topPaths of one partition, for merging partitions (partitioned.ts):
-- ARGV[4] how many. Returns JSON [[path, sessions], ...], busiest first,
-- ties by path ascending (topPaths in read.lua).
local top = {}
for i, entry in ipairs(topPaths(tonumber(ARGV[4]))) do top[i] = { entry.path, entry.sessions } end
if #top == 0 then return '[]' end
return cjson.encode(top)
