-- Adds one batch of bucket counts unless the process already had this sequence or a
-- later one applied.
-- KEYS[1] hash process id -> last sequence applied
-- KEYS[2] hash process id -> newest bucket start written
-- KEYS[3] sorted set of bucket starts (member and score are the start)
-- ARGV[1] prefix of bucket keys (the start is appended), ARGV[2] process id,
-- ARGV[3] sequence, ARGV[4] seconds every touched key is kept after this write,
-- then groups of four: SLO name, bucket start, good, total.
-- Returns 1 when applied, 0 when already applied.
local applied = redis.call('HGET', KEYS[1], ARGV[2])
if applied and tonumber(applied) >= tonumber(ARGV[3]) then
  return 0
end

local newest = nil
for i = 5, #ARGV, 4 do
  local slo, start, good, total = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local key = ARGV[1] .. start
  redis.call('HINCRBY', key, 'good:' .. slo, good)
  redis.call('HINCRBY', key, 'total:' .. slo, total)
  redis.call('EXPIRE', key, ARGV[4])
  redis.call('ZADD', KEYS[3], start, start)
  if newest == nil or tonumber(start) > tonumber(newest) then
    newest = start
  end
end

redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
local previous = redis.call('HGET', KEYS[2], ARGV[2])
if newest and (not previous or tonumber(previous) < tonumber(newest)) then
  redis.call('HSET', KEYS[2], ARGV[2], newest)
elseif not previous then
  redis.call('HSET', KEYS[2], ARGV[2], '-9223372036854775808')
end
for i = 1, 3 do
  redis.call('EXPIRE', KEYS[i], ARGV[4])
end
return 1
