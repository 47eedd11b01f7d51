-- Follows now.lua. KEYS[1] reservation, KEYS[4] owner's pending ZSET; ARGV[1] owner, ARGV[2] token.
-- A token of another owner answers `unknown` before anything is touched. The pending set's expiry is
-- the one that counts, to the millisecond, as for the bound: the reservation's own key only outlives it briefly.
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return {'unknown'} end
local holder = redis.call('HGET', KEYS[1], 'holder')
if holder == '' then
  local expiry = redis.call('ZSCORE', KEYS[4], ARGV[2])
  if not expiry or tonumber(expiry) <= now then return {'unknown'} end
end
