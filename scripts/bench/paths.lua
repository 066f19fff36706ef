-- wrk script: GET a random path from a file of paths (one per line), e.g. the mixed search
-- workload that scripts/bench/search_mix.py writes.
--
-- Usage: wrk -t2 -c8 -d15s --latency -s scripts/bench/paths.lua http://127.0.0.1:PORT -- PATHS_FILE

local paths = {}
local count = 0
local counter = 0

function setup(thread)
  thread:set("thread_id", counter)
  counter = counter + 1
end

function init(args)
  local f = assert(io.open(args[1], "r"), "paths.lua: pass the paths file after --")
  for line in f:lines() do
    if line ~= "" then
      count = count + 1
      paths[count] = line
    end
  end
  f:close()
  assert(count > 0, "paths.lua: the paths file is empty")
  math.randomseed(os.time() * 1000 + (thread_id or 0) * 7919)
  for _ = 1, 10 do math.random() end
end

function request()
  return wrk.format("GET", paths[math.random(count)])
end
