-- Read-after-write: an admin reply to the next conversation of this thread's share of PARAMS.ids,
-- then a GET, both on one connection: one request() returns the two, so wrk pipelines them, and
-- the server answers a connection's requests in order, reading the GET only once the reply's answer
-- has left. Every other pair GETs instead the next conversation of PARAMS.controls (viewed before
-- the run, never written during it): a cached GET under the same load, the figure the GET after a
-- write is compared with (http_bench/verdict.py).
--
-- Timed here, not by wrk (whose latency is the pair's): a reply from just before the pair is written
-- to its answer; a GET from the reply's answer to its own. wrk's response() is not told which
-- connection or request an answer is for: the id at the start of the body says which conversation,
-- and a conversation's answers come in the order its requests were sent. Each reply carries a tag
-- of its own, which the GET after it must show (else a line "stale": an error). Each thread writes
-- its lines ("<kind> <µs>") to its own file, PARAMS.samples .. "-<thread>.txt", which
-- http_bench/read_after_write.py reads after the run (wrk can hand the main state no list of them).
function init(args)
  writes = lines_of(PARAMS.ids)
  controls = lines_of(PARAMS.controls)
  assert(#writes > 0 and #controls > 0, "no ids for this thread")
  POST = {}  -- wrk.format takes these instead of wrk.headers, not on top of them
  for k, v in pairs(wrk.headers) do POST[k] = v end
  POST["Content-Type"] = "application/json"
  i = PARAMS.offset % #writes
  j = PARAMS.offset % #controls
  n = 0
  expected = {}  -- conversation id -> what its next answers answer, oldest first
  out = assert(io.open(PARAMS.samples .. "-" .. (tid or 0) .. ".txt", "w"))
  -- wrk builds thread 0's first request once before the run, to inspect it, and never sends it.
  inspected = (tid or 0) ~= 0
end
local function pair(write, read, tag)
  local body = string.format(PARAMS.body, tag)
  return wrk.format("POST", "/conversations/" .. write .. "/reply", POST, body) ..
    wrk.format("GET", "/conversations/" .. read)
end
local function expect(id, entry)
  local queue = expected[id]
  if not queue then
    queue = {}
    expected[id] = queue
  end
  queue[#queue + 1] = entry
end
function request()
  if not inspected then
    inspected = true
    return pair(writes[1], writes[1], "inspected")
  end
  i = i % #writes + 1
  n = n + 1
  local write, read, kind = writes[i], writes[i], "after-write"
  if n % 2 == 0 then
    j = j % #controls + 1
    read, kind = controls[j], "cached"
  end
  local tag = "r" .. (tid or 0) .. "-" .. n
  local turn = {sent = now_us(), tag = tag}
  expect(write, {"reply", turn})
  expect(read, {kind, turn})
  return pair(write, read, tag)
end
function response(status, headers, body)
  local at = now_us()
  local id = body:match('^{"type":"conversation","id":"(%d+)"')
  local queue = id and expected[id]
  if not queue or #queue == 0 then return end  -- an error: wrk counts it
  local kind, turn = unpack(table.remove(queue, 1))
  if kind == "reply" then
    turn.answered = at
    out:write("reply ", string.format("%.1f", at - turn.sent), "\n")
  elseif turn.answered then
    out:write(kind, " ", string.format("%.1f", at - turn.answered), "\n")
    if kind == "after-write" and not body:find(turn.tag, 1, true) then out:write("stale\n") end
  end
end
