-- Acknowledges a job and removes it, so that it is never delivered again.
-- KEYS[1] stream, KEYS[2] hash of job key to entry id
-- ARGV[1] consumer group, ARGV[2] entry id
local entries = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
if entries[1] then
  local fields = entries[1][2]
  for i = 1, #fields, 2 do
    if fields[i] == 'key' and redis.call('HGET', KEYS[2], fields[i + 1]) == ARGV[2] then
      redis.call('HDEL', KEYS[2], fields[i + 1])
    end
  end
end
return 1
