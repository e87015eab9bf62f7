-- Deletes buckets starting before ARGV[2] and the records of processes whose newest
-- bucket is older.
-- KEYS[1] hash process id -> last sequence, KEYS[2] hash process id -> newest start,
-- KEYS[3] sorted set of bucket starts
-- ARGV[1] prefix of bucket keys, ARGV[2] cut-off (bucket start, exclusive)
-- Returns the number of (SLO, bucket) counts deleted.
local removed = 0
local starts = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[2])
for _, start in ipairs(starts) do
  local key = ARGV[1] .. start
  -- Each SLO has a good and a total field.
  removed = removed + math.floor(redis.call('HLEN', key) / 2)
  redis.call('DEL', key)
end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[2])

local writers = redis.call('HGETALL', KEYS[2])
for i = 1, #writers, 2 do
  if tonumber(writers[i + 1]) < tonumber(ARGV[2]) then
    redis.call('HDEL', KEYS[1], writers[i])
    redis.call('HDEL', KEYS[2], writers[i])
  end
end
return removed
