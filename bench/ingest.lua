-- wrk script: POSTs a distinct ~1.5 KB JSON event per request, so that
-- hookd stores every one (no duplicates). Same bytes shape for nginx.
local counter = 0
local tid = 0
local threads = {}
local pad = string.rep("x", 1400)

function setup(thread)
  tid = tid + 1
  thread:set("tid", tid)
  table.insert(threads, thread)
end

function init(args)
  run = args[1] or "run"
end

function request()
  counter = counter + 1
  local body = string.format('{"id":"%s-%d-%d","type":"bench.event","pad":"%s"}',
                             run, tid, counter, pad)
  return wrk.format("POST", wrk.path, {["Content-Type"] = "application/json",
                                        ["X-Event-Type"] = "bench.event"}, body)
end

function done(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format("RESULT rps=%.0f p50_us=%d p99_us=%d errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50),
    latency:percentile(99), summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout, non2xx))
end
