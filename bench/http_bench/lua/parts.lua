-- Close or open each id of this thread's share in turn: the lines of PARAMS.ids are
-- "<id> close|open", the action its current state allows. The next action of an id is set from the
-- state its last answer shows (response()), never when a request is built: wrk builds one request
-- per thread that it never sends, and flipping there made that id's next request a no-op (closing
-- a closed conversation is no transition in inboxd).
wrk.headers["Content-Type"] = "application/json"
BODIES = {close = PARAMS.close, open = PARAMS.open}
function init(args)
  ids, acts, at = {}, {}, {}
  for _, line in ipairs(lines_of(PARAMS.ids)) do
    local id, act = line:match("^(%S+) (%S+)$")
    ids[#ids + 1] = id
    acts[#acts + 1] = act
    at[id] = #ids
  end
  i = 0
end
function request()
  i = i % #ids + 1
  return wrk.format("POST", "/conversations/" .. ids[i] .. "/parts", nil, BODIES[acts[i]])
end
function response(status, headers, body)
  local id = body:match('^{"type":"conversation","id":"(%d+)"')
  local state = body:match('"state":"(%a+)"')
  if id and state and at[id] then
    acts[at[id]] = state == "closed" and "open" or "close"
  end
end
