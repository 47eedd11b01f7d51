-- One partition's paths when a merge across partitions reads deeper
-- (merge-stats.ts): ARGV[4] depth, ARGV[5] whole-set bound. A Redis list:
-- pathList's flag and JSON.
local complete, paths = pathList(tonumber(ARGV[4]), tonumber(ARGV[5]))
return { complete, paths }
