-- wrk script: POSTs a distinct ~1.5 KB JSON event per request, so that
-- hookd stores every one (no duplicates). Same bytes shape for nginx.
-- Each wrk thread has its own Lua state: setup() (main state) numbers the
-- threads and sets the global `tid` in each thread's state.
local pad = string.rep("x", 1400)
local started = 0
local counter = 0

function setup(thread)
  started = started + 1
  thread:set("tid", started)
end

-- args: run id (makes the ids distinct across runs), optionally the
-- requests each thread sends before it stops (0: no limit), and the number
-- of event types to cycle through (0: the one type "bench.event").
function init(args)
  run = args[1] or "run"
  limit = tonumber(args[2] or "0")
  types = tonumber(args[3] or "0")
end

function request()
  counter = counter + 1
  if limit > 0 and counter > limit then wrk.thread:stop() end
  local type = "bench.event"
  if types > 0 then type = "bench.t" .. (counter % types) end
  local body = string.format('{"id":"%s-%d-%d","type":"%s","pad":"%s"}',
                             run, tid, counter, type, pad)
  return wrk.format("POST", wrk.path, {["Content-Type"] = "application/json",
                                        ["X-Event-Type"] = type}, body)
end

function done(summary, latency, requests)
  io.write(string.format("RESULT n=%d rps=%.0f p50_us=%d p99_us=%d errors=%d non2xx=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6), latency:percentile(50),
    latency:percentile(99), summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout, summary.errors.status))
end
