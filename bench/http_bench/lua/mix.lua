-- The soak's mix: of every 10 requests, 8 GET a random id of PARAMS.ids, 1 a list page (the paths
-- of PARAMS.lists in turn), 1 a search (the bodies of PARAMS.searches in turn).
function init(args)
  math.randomseed(77 + (tid or 0))
  H = {}  -- wrk.format takes these instead of wrk.headers, not on top of them
  for k, v in pairs(wrk.headers) do H[k] = v end
  H["Content-Type"] = "application/json"
  gets = {}
  for line in io.lines(PARAMS.ids) do
    gets[#gets + 1] = wrk.format("GET", "/conversations/" .. line)
  end
  lists = {}
  for _, path in ipairs(PARAMS.lists) do
    lists[#lists + 1] = wrk.format("GET", path)
  end
  searches = {}
  for _, body in ipairs(PARAMS.searches) do
    searches[#searches + 1] = wrk.format("POST", "/conversations/search", H, body)
  end
  n, l, s = 0, 0, 0
end
function request()
  n = n + 1
  local k = n % 10
  if k == 0 then
    l = l % #lists + 1
    return lists[l]
  elseif k == 5 then
    s = s % #searches + 1
    return searches[s]
  end
  return gets[math.random(#gets)]
end
