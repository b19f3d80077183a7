-- Cold GET: each thread reads its share of PARAMS.ids once, in order, and stops. Just before the run
-- every one of those conversations got a new version and lost its stored document
-- (http_bench/cold_get.py), so every request is the first read since a change: its document must
-- be rendered. Reading one twice would find it cached, hence the stop: "WRKSTOP <thread>" tells
-- http_bench/wrk.py, which ends the run once every thread has said it.
function init(args)
  reqs = {}
  for _, id in ipairs(lines_of(PARAMS.ids)) do
    reqs[#reqs + 1] = wrk.format("GET", "/conversations/" .. id)
  end
  assert(#reqs > 0, "no ids for this thread")
  i = 0
  -- wrk builds thread 0's first request once before the run, to inspect it, and never sends it.
  inspected = (tid or 0) ~= 0
  first_us, stop_us = nil, nil
end
function request()
  if not inspected then
    inspected = true
    return reqs[1]
  end
  if i == #reqs then
    if not stop_us then
      stop_us = now_us()  -- a connection asks for more right after an answer: the last one counted
      io.write("WRKSTOP " .. (tid or 0) .. "\n")
      io.flush()
      wrk.thread:stop()
    end
    return reqs[#reqs]  -- written, but the stopped thread reads no answer
  end
  i = i + 1
  first_us = first_us or now_us()
  return reqs[i]
end
-- The run's length: from the first request to the last thread's stop; wrk's own is always -d.
function extra_json(summary)
  local first, last = nil, 0
  for _, t in ipairs(threads) do
    local started, stopped = t:get("first_us"), t:get("stop_us")
    if not stopped then return '{"span_us": 0}' end  -- still reading at -d: wrk's duration holds
    if started and (not first or started < first) then first = started end
    last = math.max(last, stopped)
  end
  return string.format('{"span_us": %.0f}', first and (last - first) or 0)
end
