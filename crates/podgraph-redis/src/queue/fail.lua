-- Records a failed delivery. The entry stays pending, so XAUTOCLAIM delivers it again
-- once its lease has passed, unless this was the last allowed delivery or the failure
-- is permanent: then it moves to the dead-letter stream with the reason and the kind.
-- KEYS[1] stream, KEYS[2] hash of job key to entry id, KEYS[3] dead-letter stream
-- ARGV[1] consumer group, ARGV[2] entry id, ARGV[3] delivery number of the caller,
-- ARGV[4] maximum deliveries, ARGV[5] reason, ARGV[6] dead letters kept,
-- ARGV[7] '1' when a retry cannot succeed, ARGV[8] error kind ('' when unknown)
-- Returns 0 when nothing changed (unknown, finished or stale), 1 when the job will be
-- retried, 2 when it was dead-lettered.
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)
if not pending[1] then
  return 0
end
local deliveries = pending[1][4]
if tonumber(ARGV[3]) < deliveries then
  -- A later delivery of the same job is running; its outcome decides.
  return 0
end
if ARGV[7] ~= '1' and deliveries < tonumber(ARGV[4]) then
  return 1
end

local entries = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
local key, payload = '', ''
if entries[1] then
  local fields = entries[1][2]
  for i = 1, #fields, 2 do
    if fields[i] == 'key' then key = fields[i + 1] end
    if fields[i] == 'payload' then payload = fields[i + 1] end
  end
end
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[6], '*', 'id', ARGV[2], 'key', key,
  'payload', payload, 'attempts', deliveries, 'reason', ARGV[5], 'kind', ARGV[8])
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
if key ~= '' and redis.call('HGET', KEYS[2], key) == ARGV[2] then
  redis.call('HDEL', KEYS[2], key)
end
return 2
