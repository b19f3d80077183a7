-- The start of every wrk script (http_bench/wrk.py writes PARAMS, this run's values, before it and
-- the load's own script after it): headers, each thread's number, and done()'s one JSON line.
counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
wrk.headers["Authorization"] = "Bearer " .. PARAMS.token
wrk.headers["Intercom-Version"] = "2.10"
wrk.headers["Accept"] = "application/json"
NTHREADS = PARAMS.threads

-- This thread's share of the lines of a file: every NTHREADS-th line, from its own number on.
function lines_of(path)
  local out = {}
  local n = 0
  for line in io.lines(path) do
    if n % NTHREADS == (tid or 0) then out[#out + 1] = line end
    n = n + 1
  end
  return out
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %.0f, "duration_us": %.0f, "connect": %.0f, "read": %.0f, "write": %.0f, ' ..
    '"status": %.0f, "timeout": %.0f, "p50_us": %.0f, "p99_us": %.0f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
