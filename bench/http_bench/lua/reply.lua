-- An admin comment (PARAMS.body) on each id of this thread's share of PARAMS.ids in turn, from
-- PARAMS.offset on (where the previous run of this load stopped).
wrk.headers["Content-Type"] = "application/json"
function init(args)
  ids = lines_of(PARAMS.ids)
  i = PARAMS.offset % #ids
end
function request()
  i = i % #ids + 1
  return wrk.format("POST", "/conversations/" .. ids[i] .. "/reply", nil, PARAMS.body)
end
