#!/usr/bin/env bash
# scripts/bench.sh — Cổng end-to-end benchmark (catalogue core).
#
# Loads synthetic datasets with `cong generate`, starts `cong serve` on a loopback port and drives it
# with wrk (2 threads, 32 connections) for:
#   1. /api/3/action/status_show                      (framework floor)
#   2. /api/3/action/package_show?id=<random name>    (scripts/bench/package_show.lua)
#   3. /api/3/action/package_list?limit=100&offset=<random>   (scripts/bench/package_list.lua)
# and prints a Markdown report: req/s, p50, p99, server RSS (VmRSS / VmHWM), the machine, and
# PASS/MISS against the targets. A MISS does not make the script fail; setup errors do.
#
# Usage: scripts/bench.sh
# Environment:
#   BENCH_DATASETS  datasets to generate             (default 10000)
#   BENCH_SECONDS   measured duration per endpoint   (default 15)
#   BENCH_WARMUP    warm-up duration per endpoint    (default 2)
#   BENCH_KEEP=1    keep the temp dir (data, server log, raw wrk output) and print its path
#   BENCH_REPORT    also write the Markdown report to this file
#   CONG_BIN        use this cong binary instead of building target/release/cong
#   CARGO_TARGET_DIR  honoured when locating the release binary
# Global cong settings in the environment (e.g. CONG_DATABASE_URL) reach the server unchanged;
# by default the database is SQLite inside the temp data dir.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

DATASETS=${BENCH_DATASETS:-10000}
DURATION=${BENCH_SECONDS:-15}
WARMUP=${BENCH_WARMUP:-2}
THREADS=2
CONNECTIONS=32
LIST_LIMIT=100

# Targets (defined for a 2-core machine).
TARGET_RATIO=0.40      # package_show req/s >= 40% of status_show req/s
TARGET_P99_MS=10       # package_show p99 < 10 ms
TARGET_RSS_MIB=100     # server peak RSS (VmHWM) < 100 MiB

SHOW_LUA=$ROOT/scripts/bench/package_show.lua
LIST_LUA=$ROOT/scripts/bench/package_list.lua

log() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

positive() { [[ $2 =~ ^[1-9][0-9]*$ ]] || die "$1 must be a positive integer (got '$2')"; }
positive BENCH_DATASETS "$DATASETS"
positive BENCH_SECONDS "$DURATION"
positive BENCH_WARMUP "$WARMUP"

# --- tools -----------------------------------------------------------------------------------------
install_wrk() {
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "wrk is missing and I am not root (no sudo): install wrk"
    sudo=(sudo)
  fi
  log "installing wrk with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  if ! "${sudo[@]}" apt-get install -y wrk >&2; then
    log "apt-get install failed; running apt-get update and retrying"
    "${sudo[@]}" apt-get update >&2
    "${sudo[@]}" apt-get install -y wrk >&2
  fi
}
command -v wrk >/dev/null 2>&1 || install_wrk
command -v wrk >/dev/null 2>&1 || die "wrk is still not on PATH"
for tool in curl python3 awk; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is required"
done
[[ -f $SHOW_LUA && -f $LIST_LUA ]] || die "missing wrk scripts under scripts/bench/"

# --- binary ----------------------------------------------------------------------------------------
if [[ -n ${CONG_BIN:-} ]]; then
  BIN=$CONG_BIN
  log "using CONG_BIN=$BIN (no build)"
else
  log "building: cargo build --release -p server"
  cargo build --release -p server >&2
  BIN=${CARGO_TARGET_DIR:-target}/release/cong
fi
[[ -x $BIN ]] || die "cong binary not found or not executable: $BIN"

# --- temp dir and cleanup --------------------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cong-bench.XXXXXX")
DATA=$WORK/data
mkdir -p "$DATA"
SERVER_PID=

cleanup() {
  local rc=$?
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ ${BENCH_KEEP:-0} == 1 ]]; then
    log "kept $WORK (data, serve.out/serve.err, wrk-*.txt)"
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# --- generate --------------------------------------------------------------------------------------
DB_NOTE="SQLite in a fresh temp data dir"
if [[ -n ${CONG_DATABASE_URL:-} ]]; then
  DB_NOTE="${CONG_DATABASE_URL%%:*} (from CONG_DATABASE_URL)"
fi
log "generating $DATASETS datasets (5 resources, 5 tags each) into $DATA [$DB_NOTE]"
t0=$(now)
if ! "$BIN" --data-dir "$DATA" generate --datasets "$DATASETS" --resources 5 --tags 5 \
    >"$WORK/generate.log" 2>&1; then
  cat "$WORK/generate.log" >&2
  die "cong generate failed"
fi
t1=$(now)
GEN_SECS=$(elapsed "$t0" "$t1")
GEN_RATE=$(awk -v n="$DATASETS" -v s="$GEN_SECS" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
log "generate took ${GEN_SECS}s (${GEN_RATE} datasets/s)"

# Index before serving, as an operator does after a bulk load: `cong serve` would otherwise build
# the index in-process at start-up, and the allocator's high-water mark of that one-off job is
# not the server's steady state.
t0=$(now)
if ! "$BIN" --data-dir "$DATA" reindex >"$WORK/reindex.log" 2>&1; then
  cat "$WORK/reindex.log" >&2
  die "cong reindex failed"
fi
REINDEX_SECS=$(elapsed "$t0" "$(now)")
log "reindex took ${REINDEX_SECS}s"

# --- serve -----------------------------------------------------------------------------------------
log "starting: cong --data-dir $DATA serve --bind 127.0.0.1:0"
"$BIN" --data-dir "$DATA" serve --bind 127.0.0.1:0 >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER_PID=$!
ADDR=
t0=$(now)
for _ in $(seq 1 600); do   # up to 60 s (migrations run first)
  ADDR=$(sed -n 's#^cong: listening on http://##p' "$WORK/serve.out" | head -n 1)
  [[ -n $ADDR ]] && break
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    cat "$WORK/serve.err" >&2
    SERVER_PID=
    die "cong serve exited before listening"
  fi
  sleep 0.1
done
[[ -n $ADDR ]] || { cat "$WORK/serve.err" >&2; die "no 'cong: listening on' line within 60 s"; }
case $ADDR in
  127.0.0.1:*) ;;
  *) die "server reports non-loopback address '$ADDR'; refusing to benchmark" ;;
esac
BASE=http://$ADDR
log "server pid $SERVER_PID listening on $BASE (startup $(elapsed "$t0" "$(now)")s)"

# RSS of the server in kB: prints "VmRSS VmHWM".
rss_kb() {
  awk '/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 } END { print r + 0, h + 0 }' \
    "/proc/$SERVER_PID/status"
}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
read -r IDLE_RSS _ < <(rss_kb)

# --- sanity checks and the names list --------------------------------------------------------------
curl -fsS "$BASE/api/3/action/status_show" -o "$WORK/status_show.json" \
  || die "status_show request failed"
python3 - "$WORK/status_show.json" <<'PY' || die "status_show did not return success"
import json, sys
sys.exit(0 if json.load(open(sys.argv[1])).get("success") is True else 1)
PY

# Prints one name per line from a package_list response file; exit 1 if not a success.
names_from() {
  python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
if d.get("success") is not True or not isinstance(d.get("result"), list):
    sys.exit("package_list failed: %r" % (d.get("error"),))
for n in d["result"]:
    print(n)
PY
}

NAMES=$WORK/names.txt
log "fetching dataset names: GET /api/3/action/package_list"
curl -fsS "$BASE/api/3/action/package_list" -o "$WORK/package_list.json" \
  || die "package_list request failed"
names_from "$WORK/package_list.json" >"$NAMES" || die "cannot parse package_list"
if (( $(wc -l <"$NAMES") < DATASETS )); then
  # The server caps the unpaginated list: page through it.
  log "package_list returned $(wc -l <"$NAMES") names; paging with limit=1000"
  : >"$NAMES"
  offset=0
  while :; do
    curl -fsS "$BASE/api/3/action/package_list?limit=1000&offset=$offset" -o "$WORK/page.json" \
      || die "package_list page request failed"
    names_from "$WORK/page.json" >"$WORK/page.txt" || die "cannot parse package_list page"
    got=$(wc -l <"$WORK/page.txt")
    cat "$WORK/page.txt" >>"$NAMES"
    (( got == 1000 )) || break
    offset=$((offset + 1000))
    (( offset < 10 * DATASETS + 1000 )) || die "package_list paging does not terminate"
  done
  sort -u -o "$NAMES" "$NAMES"
fi
NAME_COUNT=$(wc -l <"$NAMES")
(( NAME_COUNT > 0 )) || die "package_list returned no datasets"
[[ $NAME_COUNT -eq $DATASETS ]] \
  || log "warning: package_list has $NAME_COUNT datasets, expected $DATASETS"

# One package_show and one package_list page, checked for shape before timing anything.
SAMPLE=$(sed -n "$(( (RANDOM % NAME_COUNT) + 1 ))p" "$NAMES")
curl -fsS -G "$BASE/api/3/action/package_show" --data-urlencode "id=$SAMPLE" \
  -o "$WORK/package_show.json" || die "package_show?id=$SAMPLE failed"
SHAPE=$(python3 - "$WORK/package_show.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
if d.get("success") is not True:
    sys.exit("package_show failed: %r" % (d.get("error"),))
r = d["result"]
print(len(r.get("resources") or []), len(r.get("tags") or []))
PY
) || die "package_show?id=$SAMPLE did not return success"
read -r SAMPLE_RES SAMPLE_TAGS <<<"$SHAPE"
[[ $SAMPLE_RES == 5 && $SAMPLE_TAGS == 5 ]] \
  || log "warning: $SAMPLE has $SAMPLE_RES resources and $SAMPLE_TAGS tags (expected 5 and 5)"
curl -fsS "$BASE/api/3/action/package_list?limit=$LIST_LIMIT&offset=0" -o "$WORK/page.json" \
  || die "package_list?limit=$LIST_LIMIT failed"
PAGE_COUNT=$(names_from "$WORK/page.json" | wc -l)
[[ $PAGE_COUNT -eq $LIST_LIMIT || $NAME_COUNT -lt $LIST_LIMIT ]] \
  || log "warning: package_list?limit=$LIST_LIMIT returned $PAGE_COUNT names (limit ignored?)"
read -r READY_RSS _ < <(rss_kb)

# --- load runs -------------------------------------------------------------------------------------
# Latency string from wrk ("850.00us", "1.23ms", "1.02s", "1.00m") -> milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
    else if (u != "ms") { print "nan"; exit }
    printf "%.2f", n }'
}

declare -A RPS P50 P99 ERRS RSS HWM CMD
ORDER=()

# run_wrk KEY PATH_OR_EMPTY [LUA_SCRIPT LUA_ARGS...]
run_wrk() {
  local key=$1 url=$BASE$2; shift 2
  local script=() args=() shown
  if (( $# > 0 )); then
    script=(-s "$1"); shift
    args=(-- "$@")
  fi
  local opts=(-t"$THREADS" -c"$CONNECTIONS" --latency)
  log "$key: warm-up ${WARMUP}s"
  wrk "${opts[@]}" -d"${WARMUP}s" "${script[@]}" "$url" "${args[@]}" >"$WORK/wrk-$key-warmup.txt" 2>&1 \
    || { cat "$WORK/wrk-$key-warmup.txt" >&2; die "wrk warm-up for $key failed"; }
  log "$key: measuring ${DURATION}s"
  local out=$WORK/wrk-$key.txt
  wrk "${opts[@]}" -d"${DURATION}s" "${script[@]}" "$url" "${args[@]}" >"$out" 2>&1 \
    || { cat "$out" >&2; die "wrk for $key failed"; }
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/serve.err" >&2; die "server died during $key"; }
  local rss hwm
  read -r rss hwm < <(rss_kb)
  RSS[$key]=$rss
  HWM[$key]=$hwm

  RPS[$key]=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")
  P50[$key]=$(to_ms "$(awk '$1 == "50%" { print $2; exit }' "$out")")
  P99[$key]=$(to_ms "$(awk '$1 == "99%" { print $2; exit }' "$out")")
  [[ -n ${RPS[$key]} && ${P50[$key]} =~ ^[0-9.]+$ && ${P99[$key]} =~ ^[0-9.]+$ ]] \
    || { cat "$out" >&2; die "could not parse wrk output for $key"; }
  # Non-2xx responses and socket errors make a run invalid; count them.
  ERRS[$key]=$(awk '
    /Non-2xx or 3xx responses:/ { e += $NF }
    /Socket errors:/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) e += $i + 0 }
    END { print e + 0 }' "$out")

  shown=${script[*]:+-s ${script[1]#"$ROOT"/} }
  CMD[$key]="wrk ${opts[*]} -d${DURATION}s ${shown}$url${args[*]:+ ${args[*]}}"
  ORDER+=("$key")
  log "$key: ${RPS[$key]} req/s, p50 ${P50[$key]} ms, p99 ${P99[$key]} ms, errors ${ERRS[$key]}"
}

run_wrk status_show /api/3/action/status_show
run_wrk package_show / "$SHOW_LUA" "$NAMES"
run_wrk package_list / "$LIST_LUA" "$NAME_COUNT" "$LIST_LIMIT"
read -r END_RSS END_HWM < <(rss_kb)

# --- report ----------------------------------------------------------------------------------------
CPU_MODEL=$(awk '/^(model name|Hardware|cpu model)[[:space:]]*:/ {
  sub(/^[^:]*:[[:space:]]*/, ""); print; exit }' /proc/cpuinfo)
CPU_MODEL=${CPU_MODEL:-$(uname -m)}
NPROC=$(nproc)
MEM_TOTAL=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
REV=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)
WRK_VERSION=$(wrk -v 2>&1 | awk 'NR == 1 { print $2; exit }' || true)
RATIO=$(awk -v a="${RPS[package_show]}" -v b="${RPS[status_show]}" \
  'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
PEAK_MIB=$(mib "$END_HWM")

verdict() { if awk "BEGIN { exit !($1) }"; then echo PASS; else echo MISS; fi; }
V_RATIO=$(verdict "$RATIO >= $TARGET_RATIO")
V_P99=$(verdict "${P99[package_show]} < $TARGET_P99_MS")
V_RSS=$(verdict "$END_HWM < $TARGET_RSS_MIB * 1024")

TOTAL_ERRS=0
for k in "${ORDER[@]}"; do TOTAL_ERRS=$((TOTAL_ERRS + ERRS[$k])); done

# shellcheck disable=SC2016  # backticks in single quotes are Markdown code spans
report() {
  local label
  echo "## Catalogue core: package_show / package_list — $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "| Endpoint | Requests/s | p50 (ms) | p99 (ms) | Errors | RSS after run (MiB) | Peak RSS (MiB) |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  for k in "${ORDER[@]}"; do
    case $k in
      status_show) label='`status_show` (framework floor)' ;;
      package_show) label='`package_show?id=<random>`' ;;
      package_list) label="\`package_list?limit=$LIST_LIMIT&offset=<random>\`" ;;
    esac
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$label" "${RPS[$k]}" "${P50[$k]}" "${P99[$k]}" \
      "${ERRS[$k]}" "$(mib "${RSS[$k]}")" "$(mib "${HWM[$k]}")"
  done
  echo
  echo "- package_show / status_show: **$RATIO** of the framework floor"
  echo "- Server RSS: idle after start $(mib "$IDLE_RSS") MiB; after name fetch and checks" \
    "$(mib "$READY_RSS") MiB; now $(mib "$END_RSS") MiB; peak (VmHWM) $PEAK_MIB MiB"
  echo "- Data: $NAME_COUNT datasets (sample \`$SAMPLE\`: $SAMPLE_RES resources, $SAMPLE_TAGS tags);" \
    "\`cong generate\` took ${GEN_SECS} s (${GEN_RATE} datasets/s), \`cong reindex\` ${REINDEX_SECS} s; database: $DB_NOTE"
  echo "- Load: wrk $WRK_VERSION, $THREADS threads, $CONNECTIONS connections, ${WARMUP} s warm-up +" \
    "${DURATION} s per endpoint, on the same machine over loopback"
  echo "- Machine: $NPROC CPUs, $CPU_MODEL, $MEM_TOTAL RAM, Linux $(uname -r); revision $REV"
  if (( TOTAL_ERRS > 0 )); then
    echo "- **WARNING: $TOTAL_ERRS non-2xx responses or socket errors; figures are not valid.**"
  fi
  echo
  local warm=
  [[ $WARMUP -eq 2 ]] || warm="BENCH_WARMUP=$WARMUP "
  echo "Command: \`BENCH_DATASETS=$DATASETS BENCH_SECONDS=$DURATION ${warm}scripts/bench.sh\`"
  echo
  echo '```'
  for k in "${ORDER[@]}"; do echo "${CMD[$k]}"; done
  echo '```'
  echo
  echo "Targets (2-core machine):"
  echo
  echo "| Target | Measured | Result |"
  echo "|---|---:|---|"
  echo "| package_show ≥ 40% of status_show req/s | $RATIO | $V_RATIO |"
  echo "| package_show p99 < $TARGET_P99_MS ms | ${P99[package_show]} ms | $V_P99 |"
  echo "| server peak RSS < $TARGET_RSS_MIB MiB | $PEAK_MIB MiB | $V_RSS |"
  if [[ $NPROC -ne 2 ]]; then
    echo
    echo "Note: the targets are defined for a 2-core machine; this one has $NPROC."
  fi
  if [[ $DATASETS -ne 10000 ]]; then
    echo
    echo "Note: the targets are defined for 10000 datasets; this run used $DATASETS."
  fi
}

if [[ -n ${BENCH_REPORT:-} ]]; then
  report | tee "$BENCH_REPORT"
else
  report
fi
