-- wrk script of http-load.sh. Arguments after `--`: the route (`entity`, `search` or
-- `health`) and, for `entity`, a file with one entity id per line.
--
-- Prints one line `RESULT requests requests_per_second p50_ms p99_ms errors` when the
-- run ends, where errors counts socket errors, timeouts and non-2xx/3xx responses.

local search_words = {
  "python", "django", "async", "testing", "flask", "data%20science", "packaging", "numpy",
}

local paths = {}
local next_index = 0

-- wrk runs setup() once per thread in the main Lua state. The offset spreads the
-- threads over the id list, so they do not request the same entity in step.
local thread_count = 0
function setup(thread)
  thread:set("start_offset", thread_count * 97)
  thread_count = thread_count + 1
end

function init(args)
  local route = args[1] or "health"
  if route == "entity" then
    local ids_file = args[2]
    if ids_file == nil then
      error("the entity route needs a file of entity ids")
    end
    for id in io.lines(ids_file) do
      if id ~= "" then
        paths[#paths + 1] = "/api/v1/entities/" .. id
      end
    end
  elseif route == "search" then
    for _, word in ipairs(search_words) do
      paths[#paths + 1] = "/api/v1/search?q=" .. word .. "&limit=20"
    end
  elseif route == "health" then
    paths[1] = "/health"
  else
    error("unknown route " .. route .. "; use entity, search or health")
  end
  if #paths == 0 then
    error("no paths to request for route " .. route)
  end
  next_index = (start_offset or 0) % #paths
end

function request()
  next_index = next_index % #paths + 1
  return wrk.format("GET", paths[next_index])
end

function done(summary, latency, requests)
  local errors = summary.errors
  local failed = errors.connect + errors.read + errors.write + errors.status + errors.timeout
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "RESULT %d %.0f %.2f %.2f %d\n",
    summary.requests,
    summary.requests / seconds,
    latency:percentile(50) / 1000,
    latency:percentile(99) / 1000,
    failed
  ))
end
