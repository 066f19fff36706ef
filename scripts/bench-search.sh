#!/usr/bin/env bash
# scripts/bench-search.sh — package_search at scale (issue: Search).
#
# For each size in BENCH_SIZES (default "100000 1000000"): generates that many synthetic datasets
# (Vietnamese and English titles and notes, 20 organizations, 5 tags, 5 resources each) with
# `cong generate`, rebuilds the index with `cong reindex` (timed), starts `cong serve` on loopback
# and drives package_search with wrk (2 threads, 32 connections) for:
#   (a) a two-word free-text query with organization, tags and res_format facets
#   (b) an fq filter only
#   (c) *:* sorted by metadata_modified desc
#   (d) (a)'s words as citizens type them, with diacritics ("du lịch"); no target, tracked
#   (e) 5,000 distinct queries from the generator's words (scripts/bench/search_mix.py: with and
#       without diacritics, facets, organization and format filters, offsets), at 8 and at 32
#       connections; the target is p99 < 20 ms at 8 connections
# Prints a Markdown report: generate and index time, index size, RSS, req/s, p50, p99, and the
# server's CPU time per request.
# Targets at 1,000,000 datasets on 2 cores: p99 < 50 ms for (a), reindex < 5 min, RSS < 1 GB.
#
# Environment: BENCH_SIZES, BENCH_SECONDS (default 15), BENCH_KEEP=1 (keep the data dirs),
# CONG_BIN (skip the release build), BENCH_DATA_DIR (measure the queries on an existing, indexed
# data dir instead of generating one; BENCH_SIZES then only labels the row), BENCH_SEARCH_CACHE_MB
# (the server's `search_cache_mb`; 0 measures the engine alone, default: the server's default).
# Only loopback traffic.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SIZES=${BENCH_SIZES:-"100000 1000000"}
DURATION=${BENCH_SECONDS:-15}

log() { printf 'bench-search: %s\n' "$*" >&2; }
die() { printf 'bench-search: error: %s\n' "$*" >&2; exit 1; }

command -v wrk >/dev/null 2>&1 || { apt-get install -y wrk >&2 || { apt-get update >&2 && apt-get install -y wrk >&2; }; }
command -v wrk >/dev/null 2>&1 || die "wrk is required"

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
  [[ -n $WORK && ${BENCH_KEEP:-0} != 1 ]] && rm -rf "$WORK"
  return 0
}
trap cleanup EXIT INT TERM

rss_kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }
# CPU time (user + system) the process has used, in clock ticks: per request, steadier than
# req/s on a machine whose neighbours come and go.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
mib() { awk -v k="$1" 'BEGIN {printf "%.0f", k / 1024}'; }

# wrk --latency output → "req/s p50_ms p99_ms errors"
parse_wrk() {
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec:/ { rps = $2 }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    /Non-2xx or 3xx responses:/ { err += $5 }
    /Socket errors:/ { err += 1 }
    END { printf "%.0f %.2f %.2f %d\n", rps, p50, p99, err }
  ' "$1"
}

urlenc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

QA="q=$(urlenc 'du lich')&facet.field=$(urlenc '["organization","tags","res_format"]')&rows=10"
QB="fq=$(urlenc "res_format:GeoJSON organization:ha-noi")&rows=10"
QC="q=$(urlenc '*:*')&sort=$(urlenc 'metadata_modified desc')&rows=10"
QD="q=$(urlenc 'du lịch')&facet.field=$(urlenc '["organization","tags","res_format"]')&rows=10"

REPORT="| datasets | generate | reindex | index size | query | req/s | p50 ms | p99 ms | server CPU ms/req | errors | RSS after, MiB | peak RSS, MiB |
|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|"
for N in $SIZES; do
  if [[ -n ${BENCH_DATA_DIR:-} ]]; then
    WORK=$BENCH_DATA_DIR
    BENCH_KEEP=1
    gen="–"
    idx="–"
  else
    WORK=$(mktemp -d)
    log "$N datasets: generating"
    t0=$(date +%s.%N)
    "$BIN" --data-dir "$WORK" generate --datasets "$N" >&2
    t1=$(date +%s.%N)
    log "$N datasets: reindexing"
    "$BIN" --data-dir "$WORK" reindex >&2
    t2=$(date +%s.%N)
    gen=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f s", b - a}')
    idx=$(awk -v a="$t1" -v b="$t2" 'BEGIN {printf "%.0f s", b - a}')
  fi
  size=$(du -sm "$WORK/index" | cut -f1)
  config=()
  if [[ -n ${BENCH_SEARCH_CACHE_MB:-} ]]; then
    printf 'search_cache_mb = %s\n' "$BENCH_SEARCH_CACHE_MB" >"$WORK/bench-cong.toml"
    config=(--config "$WORK/bench-cong.toml")
  fi
  "$BIN" "${config[@]}" --data-dir "$WORK" serve --bind 127.0.0.1:0 >"$WORK/serve.out" 2>"$WORK/serve.err" &
  SERVER_PID=$!
  addr=
  for _ in $(seq 1 600); do
    addr=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$WORK/serve.out" 2>/dev/null || true)
    [[ -n $addr ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || die "server exited: $(tail -5 "$WORK/serve.err")"
    sleep 0.1
  done
  [[ -n $addr ]] || die "server did not start"
  python3 "$ROOT/scripts/bench/search_mix.py" "$WORK/mix.txt"
  for label in a b c d e8 e32; do
    case $label in a) qs=$QA ;; b) qs=$QB ;; c) qs=$QC ;; d) qs=$QD ;; *) qs= ;; esac
    if [[ $label == e* ]]; then
      conns=${label#e}
      url="$addr"
      wrk -t2 -c"$conns" -d2s -s "$ROOT/scripts/bench/paths.lua" "$url" -- "$WORK/mix.txt" >/dev/null
      cpu0=$(cpu_ticks "$SERVER_PID")
      wrk -t2 -c"$conns" -d"${DURATION}s" --latency -s "$ROOT/scripts/bench/paths.lua" "$url" -- "$WORK/mix.txt" >"$WORK/wrk-$label.txt"
      cpu1=$(cpu_ticks "$SERVER_PID")
      read -r rps p50 p99 errs < <(parse_wrk "$WORK/wrk-$label.txt")
      n=$(awk '/requests in/ {print $1}' "$WORK/wrk-$label.txt")
      cpu=$(awk -v a="$cpu0" -v b="$cpu1" -v n="$n" -v t="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", (b - a) / t * 1000 / n}')
      REPORT+="
| $N | $gen | $idx | $size MiB | (e) -c$conns | $rps | $p50 | $p99 | $cpu | $errs | $(mib "$(rss_kib "$SERVER_PID" VmRSS)") | $(mib "$(rss_kib "$SERVER_PID" VmHWM)") |"
      continue
    fi
    url="$addr/api/3/action/package_search?$qs"
    curl -sf "$url" >/dev/null || die "query ($label) failed: $url"
    wrk -t2 -c32 -d2s "$url" >/dev/null
    cpu0=$(cpu_ticks "$SERVER_PID")
    wrk -t2 -c32 -d"${DURATION}s" --latency "$url" >"$WORK/wrk-$label.txt"
    cpu1=$(cpu_ticks "$SERVER_PID")
    read -r rps p50 p99 errs < <(parse_wrk "$WORK/wrk-$label.txt")
    n=$(awk '/requests in/ {print $1}' "$WORK/wrk-$label.txt")
    cpu=$(awk -v a="$cpu0" -v b="$cpu1" -v n="$n" -v t="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", (b - a) / t * 1000 / n}')
    REPORT+="
| $N | $gen | $idx | $size MiB | ($label) | $rps | $p50 | $p99 | $cpu | $errs | $(mib "$(rss_kib "$SERVER_PID" VmRSS)") | $(mib "$(rss_kib "$SERVER_PID" VmHWM)") |"
  done
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
  [[ ${BENCH_KEEP:-0} == 1 ]] && log "kept $WORK" || rm -rf "$WORK"
  WORK=
done

cat <<EOF2
## package_search ($(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo))

Command: \`BENCH_SIZES="$SIZES" BENCH_SECONDS=$DURATION BENCH_SEARCH_CACHE_MB=${BENCH_SEARCH_CACHE_MB:-default} scripts/bench-search.sh\` (wrk -t2 -c32, loopback, SQLite)

(a) \`$QA\`
(b) \`$QB\`
(c) \`$QC\`
(e) 5,000 paths from \`scripts/bench/search_mix.py\` through \`scripts/bench/paths.lua\`, wrk -t2 at 8 and 32 connections

$REPORT
EOF2
