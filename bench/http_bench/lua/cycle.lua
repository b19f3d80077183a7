-- GET the paths of PARAMS.paths in turn (each thread from its own starting point).
function init(args)
  pool = {}
  for _, path in ipairs(PARAMS.paths) do
    pool[#pool + 1] = wrk.format("GET", path)
  end
  i = tid or 0
end
function request()
  i = i % #pool + 1
  return pool[i]
end
