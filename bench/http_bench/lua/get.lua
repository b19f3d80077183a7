-- GET a random id of the file PARAMS.ids on every request (every thread sees all ids).
function init(args)
  math.randomseed(4242 + (tid or 0))
  pool = {}
  for line in io.lines(PARAMS.ids) do
    pool[#pool + 1] = wrk.format("GET", PARAMS.prefix .. line)
  end
end
function request()
  return pool[math.random(#pool)]
end
