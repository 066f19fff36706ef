#!/usr/bin/env bash
# scripts/bench-dcat.sh — a harvester's walk of the DCAT catalogue (issue: DCAT-AP 3 export).
#
# Generates BENCH_DATASETS synthetic datasets (default 100000) with `cong generate`, indexes them,
# starts `cong serve` on loopback and follows `/catalog.ttl`'s Hydra `next` links from page 1 to
# the end, as ckanext-dcat's harvester does, one page at a time. Prints: pages, datasets read
# (each exactly once?), wall time of the walk, bytes, the server's RSS before and after and its
# peak, and its CPU time. Targets: the whole walk of 100,000 datasets under 60 s; RSS growth
# under 100 MB (pages are streamed, never a whole catalogue in memory).
#
# Environment: BENCH_DATASETS, CONG_BIN (skip the release build), BENCH_DATA_DIR (walk an
# existing, indexed data dir), BENCH_FORMAT (ttl, default; rdf, jsonld, n3, nt), BENCH_KEEP=1.
# Only loopback traffic.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
N=${BENCH_DATASETS:-100000}
FORMAT=${BENCH_FORMAT:-ttl}

log() { printf 'bench-dcat: %s\n' "$*" >&2; }
die() { printf 'bench-dcat: error: %s\n' "$*" >&2; exit 1; }

if [[ -n ${CONG_BIN:-} ]]; then
  BIN=$CONG_BIN
else
  log "building: cargo build --release -p server"
  cargo build --release -p server >&2
  BIN=${CARGO_TARGET_DIR:-target}/release/cong
fi
[[ -x $BIN ]] || die "no binary at $BIN"

SERVER_PID=
WORK=
cleanup() {
  [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  [[ -n $WORK && -z ${BENCH_DATA_DIR:-} && ${BENCH_KEEP:-0} != 1 ]] && rm -rf "$WORK"
  return 0
}
trap cleanup EXIT INT TERM

if [[ -n ${BENCH_DATA_DIR:-} ]]; then
  WORK=$BENCH_DATA_DIR
else
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/cong-bench-dcat.XXXXXX")
  log "generating $N datasets in $WORK"
  "$BIN" --data-dir "$WORK" generate --datasets "$N" >&2
  "$BIN" --data-dir "$WORK" reindex >&2
fi

"$BIN" --data-dir "$WORK" serve --bind 127.0.0.1:0 >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER_PID=$!
URL=
for _ in $(seq 1 600); do
  URL=$(sed -n 's/^cong: listening on \(http:[^ ]*\).*/\1/p' "$WORK/serve.out" | head -1)
  [[ -n $URL ]] && break
  kill -0 "$SERVER_PID" 2>/dev/null || die "cong serve exited: $(tail -5 "$WORK/serve.err")"
  sleep 0.1
done
[[ -n $URL ]] || die "cong serve did not start"

status_kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# A first page warms the caches the walk relies on (organizations, the index's readers).
curl -sf -o /dev/null "$URL/catalog.$FORMAT"
rss_before=$(status_kib "$SERVER_PID" VmRSS)
anon_before=$(status_kib "$SERVER_PID" RssAnon)
cpu_before=$(cpu_ticks "$SERVER_PID")

python3 - "$URL/catalog.$FORMAT" "$SERVER_PID" <<'EOF'
import re, sys, time, urllib.request
url, pid = sys.argv[1], sys.argv[2]
# Each format writes the next link and the identifiers in its own syntax; these patterns
# read the ones Cổng writes (a string literal after hydra:next / "next", dct:identifier).
NEXT = re.compile(rb'(?:hydra:next|hydra/core#next>|"hydra:next"|"http://www.w3.org/ns/hydra/core#next")\W+(?:"@value":\s*)?"([^"]+)"')
TOTAL = re.compile(rb'(?:hydra:totalItems|core#totalItems>)\W+(?:"@value":\s*)?"?(\d+)')
IDENT = re.compile(rb'(?:dct:identifier|terms/identifier>)\s+"([0-9a-f-]{36})"')
seen, pages, size, peak, total = [], 0, 0, 0, None
start = time.monotonic()
while url:
    with urllib.request.urlopen(url, timeout=120) as r:
        body = r.read()
    pages += 1
    size += len(body)
    seen += IDENT.findall(body)
    if total is None and (t := TOTAL.search(body)):
        total = int(t.group(1))
    m = NEXT.search(body)
    url = m.group(1).decode().replace("&amp;", "&") if m else None
    if pages % 50 == 0:
        with open(f"/proc/{pid}/status") as f:
            peak = max(peak, *(int(l.split()[1]) for l in f if l.startswith("VmRSS:")))
elapsed = time.monotonic() - start
print(f"pages {pages}, datasets {len(seen)} ({len(set(seen))} distinct, totalItems {total}), {size / 1e6:.1f} MB, "
      f"walk {elapsed:.1f} s ({len(seen) / elapsed:.0f} datasets/s), RSS sampled peak {peak // 1024} MiB")
EOF

rss_after=$(status_kib "$SERVER_PID" VmRSS)
anon_after=$(status_kib "$SERVER_PID" RssAnon)
file_after=$(status_kib "$SERVER_PID" RssFile)
hwm=$(status_kib "$SERVER_PID" VmHWM)
cpu_after=$(cpu_ticks "$SERVER_PID")
ticks=$(getconf CLK_TCK)
# RSS counts the index's and database's pages mapped in as they are read (RssFile, the page
# cache's, given back under pressure) beside the process's own memory (RssAnon).
echo "server: RSS before $((rss_before / 1024)) MiB, after $((rss_after / 1024)) MiB (anonymous $((anon_before / 1024)) → $((anon_after / 1024)) MiB, file-backed $((file_after / 1024)) MiB), peak $((hwm / 1024)) MiB; CPU $(awk -v a="$cpu_before" -v b="$cpu_after" -v t="$ticks" 'BEGIN {printf "%.1f", (b - a) / t}') s"
