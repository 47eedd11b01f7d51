-- How many active sessions of this partition are on each path ARGV[4..]
-- (0 for a path with none), in order: the exact totals of a merged topPaths.
local paths = {}
for i = 4, #ARGV - 4 do paths[#paths + 1] = ARGV[i] end
local counts = {}
for i, score in ipairs(chunked('ZMSCORE', K.paths, paths)) do counts[i] = tonumber(score) or 0 end
if #counts == 0 then return '[]' end
return cjson.encode(counts)
