-- Claims up to ARGV[3] jobs: first entries whose last delivery is older than the lease
-- (their consumer died or failed them), then new entries.
-- KEYS[1] stream
-- ARGV[1] consumer group, ARGV[2] consumer, ARGV[3] maximum jobs, ARGV[4] lease in ms
-- Returns a flat list: id, key, payload, deliveries, id, key, ...
redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM')

local max = tonumber(ARGV[3])
local out = {}
local count = 0

local function field(fields, name)
  for i = 1, #fields, 2 do
    if fields[i] == name then
      return fields[i + 1]
    end
  end
  return ''
end

local function push(entry, deliveries)
  table.insert(out, entry[1])
  table.insert(out, field(entry[2], 'key'))
  table.insert(out, field(entry[2], 'payload'))
  table.insert(out, deliveries)
  count = count + 1
end

-- XAUTOCLAIM scans at most ten times COUNT pending entries per call, so the loop walks
-- the pending list in bounded steps until enough jobs are found.
local cursor = '0-0'
local steps = 0
while count < max and steps < 100 do
  local reply = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[4], cursor,
    'COUNT', max - count)
  for _, entry in ipairs(reply[2]) do
    local pending = redis.call('XPENDING', KEYS[1], ARGV[1], entry[1], entry[1], 1)
    local deliveries = 1
    if pending[1] then
      deliveries = pending[1][4]
    end
    push(entry, deliveries)
  end
  cursor = reply[1]
  steps = steps + 1
  if cursor == '0-0' then
    break
  end
end

if count < max then
  local reply = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', max - count,
    'STREAMS', KEYS[1], '>')
  if reply then
    for _, entry in ipairs(reply[1][2]) do
      push(entry, 1)
    end
  end
end

return out
