-- The start of every wrk script (http_bench/wrk.py writes PARAMS, this run's values, before it and
-- the load's own script after it): headers, each thread's number, and done()'s one JSON line.
counter = 0
threads = {}  -- in the main state, for done()
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  threads[#threads + 1] = thread
end
wrk.headers["Authorization"] = "Bearer " .. PARAMS.token
wrk.headers["Intercom-Version"] = "2.10"
wrk.headers["Accept"] = "application/json"
NTHREADS = PARAMS.threads
-- A load spread over several servers runs one wrk per server at once (http_bench/runner.py): this
-- wrk is number PARAMS.instance of PARAMS.instances, and their threads share the lines between them.
SHARES = NTHREADS * PARAMS.instances

-- This thread's share of the lines of a file: every SHARES-th line, from its own number on.
function lines_of(path)
  local out = {}
  local n = 0
  local mine = PARAMS.instance * NTHREADS + (tid or 0)
  for line in io.lines(path) do
    if n % SHARES == mine then out[#out + 1] = line end
    n = n + 1
  end
  return out
end

-- Microseconds of the monotonic clock, for loads that time requests themselves (wrk's own latency is
-- one per connection's turn, and its duration always the whole -d).
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock, bench_timespec *now);
]]
local clock_now = ffi.new("bench_timespec")
function now_us()
  ffi.C.clock_gettime(1, clock_now)  -- CLOCK_MONOTONIC
  return tonumber(clock_now.tv_sec) * 1e6 + tonumber(clock_now.tv_nsec) / 1e3
end

-- A load may define extra_json(summary): a JSON object of its own figures, printed as "extra".
function done(summary, latency, requests)
  local e = summary.errors
  local extra = extra_json and (', "extra": ' .. extra_json(summary)) or ""
  io.write(string.format(
    'WRKJSON {"requests": %.0f, "duration_us": %.0f, "connect": %.0f, "read": %.0f, "write": %.0f, ' ..
    '"status": %.0f, "timeout": %.0f, "p50_us": %.0f, "p99_us": %.0f%s}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), extra))
end
