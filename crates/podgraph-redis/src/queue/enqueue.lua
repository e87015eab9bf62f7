-- Adds a job unless a job with the same key is still in the stream.
-- KEYS[1] stream, KEYS[2] hash of job key to entry id
-- ARGV[1] consumer group, ARGV[2] job key, ARGV[3] payload (JSON)
-- Returns the entry id of the new or the existing job.
redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM')

local existing = redis.call('HGET', KEYS[2], ARGV[2])
if existing then
  if #redis.call('XRANGE', KEYS[1], existing, existing) > 0 then
    return existing
  end
end

local id = redis.call('XADD', KEYS[1], '*', 'key', ARGV[2], 'payload', ARGV[3])
redis.call('HSET', KEYS[2], ARGV[2], id)
return id
