-- Counts ready, in-flight and dead jobs and the age of the oldest ready job.
-- KEYS[1] stream, KEYS[2] dead-letter stream
-- ARGV[1] consumer group
-- Returns ready, in flight, dead, oldest ready age in ms or -1 when none is ready.
local dead = redis.call('XLEN', KEYS[2])
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {0, 0, dead, -1}
end
local length = redis.call('XLEN', KEYS[1])

local in_flight = 0
local last_delivered = '0-0'
for _, group in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  local name, pending, last = nil, 0, '0-0'
  for i = 1, #group, 2 do
    if group[i] == 'name' then name = group[i + 1] end
    if group[i] == 'pending' then pending = group[i + 1] end
    if group[i] == 'last-delivered-id' then last = group[i + 1] end
  end
  if name == ARGV[1] then
    in_flight = pending
    last_delivered = last
  end
end

-- Acknowledged entries are deleted, so every entry still in the stream is either
-- pending or not yet delivered.
local ready = length - in_flight
if ready < 0 then ready = 0 end

local age = -1
local oldest = redis.call('XRANGE', KEYS[1], '(' .. last_delivered, '+', 'COUNT', 1)
if oldest[1] then
  local now = redis.call('TIME')
  local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
  local enqueued_ms = tonumber(string.match(oldest[1][1], '^(%d+)-'))
  age = now_ms - enqueued_ms
  if age < 0 then age = 0 end
end
return {ready, in_flight, dead, age}
