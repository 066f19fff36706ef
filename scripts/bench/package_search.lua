-- wrk script for scripts/bench-writes.sh: package_search with a few everyday queries, facets
-- and pages, taken in turn.
--
-- Usage: wrk -t2 -c8 -d10s --latency -s scripts/bench/package_search.lua http://127.0.0.1:PORT

local queries = {
  "q=du%20lich&rows=10",
  "q=d%E1%BB%AF%20li%E1%BB%87u&rows=10&facet.field=%5B%22organization%22%2C%22tags%22%5D",
  "q=statistics&rows=10&start=10",
  "fq=res_format%3ACSV&rows=10",
  "q=*%3A*&sort=metadata_modified%20desc&rows=10",
  "q=giao%20thong&rows=20",
  "q=health&rows=10&facet.field=%5B%22res_format%22%5D",
  "q=n%C4%83m%202010&rows=10",
}
local i = 0

function request()
  i = i % #queries + 1
  return wrk.format("GET", "/api/3/action/package_search?" .. queries[i])
end
