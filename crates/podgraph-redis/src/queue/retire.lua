-- Removes a consumer from the group when it has no pending entry, so that the group
-- does not collect one consumer per worker process ever started.
-- KEYS[1] stream
-- ARGV[1] consumer group, ARGV[2] consumer
-- Returns 1 when the consumer was removed, 0 when it still holds entries or is unknown.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local ok, consumers = pcall(redis.call, 'XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
if not ok then
  return 0
end
for _, consumer in ipairs(consumers) do
  local name, pending = nil, 0
  for i = 1, #consumer, 2 do
    if consumer[i] == 'name' then name = consumer[i + 1] end
    if consumer[i] == 'pending' then pending = consumer[i + 1] end
  end
  if name == ARGV[2] then
    if pending > 0 then
      return 0
    end
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
    return 1
  end
end
return 0
