-- wrk script for scripts/bench.sh: GET /api/3/action/package_list?limit=100&offset=<random>.
--
-- Usage: wrk -t2 -c32 -d15s --latency -s scripts/bench/package_list.lua \
--            http://127.0.0.1:PORT -- TOTAL_DATASETS [LIMIT]
-- The offset is uniform in [0, TOTAL_DATASETS - LIMIT], so every page is full.

local limit = 100
local max_offset = 0

local counter = 0
function setup(thread)
  thread:set("thread_id", counter)
  counter = counter + 1
end

function init(args)
  local total = tonumber(args[1] or os.getenv("BENCH_DATASETS") or "")
  if total == nil or total < 1 then
    error("package_list.lua: pass the dataset count after --, e.g. wrk ... URL -- 10000")
  end
  if args[2] ~= nil then
    limit = tonumber(args[2]) or error("package_list.lua: LIMIT must be a number")
  end
  max_offset = math.max(0, math.floor(total) - limit)
  math.randomseed(os.time() * 1000 + (thread_id or 0) * 7919)
  for _ = 1, 10 do math.random() end
end

function request()
  local offset = math.random(0, max_offset)
  return wrk.format("GET", "/api/3/action/package_list?limit=" .. limit .. "&offset=" .. offset)
end
