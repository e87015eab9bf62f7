-- Adds a job unless a job with the same key is still in the stream.
-- KEYS[1] stream, KEYS[2] hash of job key to entry id
-- ARGV[1] consumer group, ARGV[2] job key, ARGV[3] payload (JSON)
-- Returns {entry id, 1} for a new job, or {entry id of the existing job, 0} when one
-- with the same key is still waiting or in flight.
redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM')

local existing = redis.call('HGET', KEYS[2], ARGV[2])
if existing then
  if #redis.call('XRANGE', KEYS[1], existing, existing) > 0 then
    return {existing, 0}
  end
end

local id = redis.call('XADD', KEYS[1], '*', 'key', ARGV[2], 'payload', ARGV[3])
redis.call('HSET', KEYS[2], ARGV[2], id)
return {id, 1}
