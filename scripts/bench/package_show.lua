-- wrk script for scripts/bench.sh: GET /api/3/action/package_show?id=<random name>.
--
-- Usage: wrk -t2 -c32 -d15s --latency -s scripts/bench/package_show.lua \
--            http://127.0.0.1:PORT -- NAMES_FILE
-- NAMES_FILE holds one dataset name per line (bench.sh writes it from package_list).
-- Each wrk thread has its own Lua state: it loads the list and seeds its own RNG.

local names = {}
local count = 0

local counter = 0
function setup(thread)
  thread:set("thread_id", counter)
  counter = counter + 1
end

local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

function init(args)
  local path = args[1] or os.getenv("BENCH_NAMES_FILE")
  if path == nil or path == "" then
    error("package_show.lua: pass the names file after --, e.g. wrk ... URL -- names.txt")
  end
  local f, err = io.open(path, "r")
  if f == nil then
    error("package_show.lua: cannot open names file: " .. tostring(err))
  end
  for line in f:lines() do
    local name = line:match("^%s*(.-)%s*$")
    if name ~= "" then
      count = count + 1
      names[count] = "/api/3/action/package_show?id=" .. urlencode(name)
    end
  end
  f:close()
  if count == 0 then
    error("package_show.lua: names file " .. path .. " is empty")
  end
  math.randomseed(os.time() * 1000 + (thread_id or 0) * 7919)
  -- discard the first values: LuaJIT's first draws after seeding are poorly spread
  for _ = 1, 10 do math.random() end
end

function request()
  return wrk.format("GET", names[math.random(count)])
end
