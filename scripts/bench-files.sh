#!/usr/bin/env bash
# scripts/bench-files.sh — resource file throughput (issue 4: Resource files).
#
# Builds the release binary, starts `cong serve` on loopback (SQLite, local storage in a temp
# data dir), writes a file of random bytes to disk (1 GiB by default: on disk, never in memory),
# uploads it with curl as a multipart resource_create (`-F upload=@FILE`, streamed by curl from
# disk) and downloads it back to /dev/null, then downloads it once more through sha256sum to
# check it byte for byte (not timed). Prints a Markdown report: throughput of each transfer and
# the server's peak RSS growth (VmHWM in /proc/PID/status before and after each transfer).
# Targets: RSS growth under 64 MB, throughput at least 200 MB/s each way (MB = 10^6 bytes).
#
# Environment: BENCH_FILE_MIB (default 1024), BENCH_DIR (where the temp dir goes, default
# $TMPDIR or /tmp; needs twice the file size free), BENCH_VERIFY=0 (skip the checking
# download), BENCH_KEEP=1 (keep the temp dir), CONG_BIN (skip the release build).
# Only loopback traffic.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
MIB=${BENCH_FILE_MIB:-1024}
BYTES=$((MIB * 1024 * 1024))

log() { printf 'bench-files: %s\n' "$*" >&2; }
die() { printf 'bench-files: error: %s\n' "$*" >&2; exit 1; }

for tool in curl sha256sum python3; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is required"
done

if [[ -n ${CONG_BIN:-} ]]; then
  BIN=$CONG_BIN
else
  log "building: cargo build --release -p server"
  cargo build --release -p server >&2
  BIN=${CARGO_TARGET_DIR:-target}/release/cong
fi
[[ -x $BIN ]] || die "no binary at $BIN"

SERVER_PID=
WORK=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/cong-bench-files.XXXXXX")
cleanup() {
  if [[ -n $SERVER_PID ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ ${BENCH_KEEP:-0} != 1 ]]; then rm -rf "$WORK"; else log "kept $WORK"; fi
  return 0
}
trap cleanup EXIT INT TERM

need_kib=$((BYTES / 1024 * 2 + 65536))
free_kib=$(df -Pk "$WORK" | awk 'NR == 2 {print $4}')
((free_kib > need_kib)) || die "$WORK has $((free_kib / 1024)) MiB free, needs $((need_kib / 1024)) MiB"

kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k * 1024 / 1e6}'; }
json_field() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["result"][sys.argv[2]])' "$1" "$2"; }

CONG=("$BIN" --config "$WORK/cong.toml" --data-dir "$WORK/data")
printf 'max_upload_bytes = %d\n' $((BYTES + 1024 * 1024)) >"$WORK/cong.toml"
"${CONG[@]}" migrate >&2
"${CONG[@]}" user add bench --email bench@example.gov.vn --sysadmin >/dev/null
TOKEN=$("${CONG[@]}" token create bench)
"${CONG[@]}" serve --bind 127.0.0.1:0 >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER_PID=$!
URL=
for _ in $(seq 1 300); do
  URL=$(sed -n 's/^cong: listening on \(http:\/\/[^ ]*\)$/\1/p' "$WORK/serve.out" 2>/dev/null || true)
  [[ -n $URL ]] && break
  kill -0 "$SERVER_PID" 2>/dev/null || die "cong serve exited: $(cat "$WORK/serve.err")"
  sleep 0.1
done
[[ -n $URL ]] || die "cong serve printed no listening line"
case $URL in http://127.0.0.1:*) ;; *) die "not a loopback address: $URL" ;; esac
log "server $URL (pid $SERVER_PID)"

api() {
  curl -fsS -H "Authorization: $TOKEN" -H 'Content-Type: application/json' -d "$2" "$URL/api/3/action/$1" >/dev/null
}
api organization_create '{"name": "bench-files", "title": "Bench"}'
api package_create '{"name": "bench-files", "owner_org": "bench-files"}'

upload() { # FILE OUT.json → "http_code seconds bytes_sent"
  curl -sS -o "$2" -w '%{http_code} %{time_total} %{size_upload}' -H "Authorization: $TOKEN" \
    -F package_id=bench-files -F "upload=@$1;type=application/octet-stream" \
    "$URL/api/3/action/resource_create"
}

log "writing $MIB MiB of random bytes to $WORK/big.bin"
head -c "$BYTES" /dev/urandom >"$WORK/big.bin"
SHA=$(sha256sum "$WORK/big.bin" | cut -d' ' -f1)

# Warm up (thread pools, database connections, allocator) with a 1 MiB round trip.
head -c $((1024 * 1024)) /dev/urandom >"$WORK/small.bin"
read -r code _ _ <<<"$(upload "$WORK/small.bin" "$WORK/small.json")"
[[ $code == 200 ]] || die "warm-up upload: HTTP $code $(cat "$WORK/small.json")"
curl -fsS -o /dev/null "$(json_field "$WORK/small.json" url)"

HWM0=$(kib "$SERVER_PID" VmHWM)
RSS0=$(kib "$SERVER_PID" VmRSS)

log "uploading"
read -r code up_s up_bytes <<<"$(upload "$WORK/big.bin" "$WORK/big.json")"
[[ $code == 200 ]] || die "upload: HTTP $code $(head -c 500 "$WORK/big.json")"
HWM1=$(kib "$SERVER_PID" VmHWM)
size=$(json_field "$WORK/big.json" size)
hash=$(json_field "$WORK/big.json" hash)
FILE_URL=$(json_field "$WORK/big.json" url)
[[ $size == "$BYTES" ]] || die "stored size $size, sent $BYTES"
[[ $hash == "$SHA" ]] || die "stored sha256 $hash, file has $SHA"

log "downloading"
read -r code down_s down_bytes <<<"$(curl -sS -o /dev/null -w '%{http_code} %{time_total} %{size_download}' "$FILE_URL")"
[[ $code == 200 ]] || die "download: HTTP $code"
[[ $down_bytes == "$BYTES" ]] || die "downloaded $down_bytes bytes of $BYTES"
HWM2=$(kib "$SERVER_PID" VmHWM)
RSS2=$(kib "$SERVER_PID" VmRSS)

verified="not checked (BENCH_VERIFY=0)"
if [[ ${BENCH_VERIFY:-1} != 0 ]]; then
  log "checking the download byte for byte (sha256, not timed)"
  got=$(curl -fsS "$FILE_URL" | sha256sum | cut -d' ' -f1)
  [[ $got == "$SHA" ]] || die "the download's sha256 is $got, the file's $SHA"
  verified="sha256 identical"
fi

rate() { awk -v b="$1" -v s="$2" 'BEGIN {printf "%.0f", b / 1e6 / s}'; }
verdict() { awk -v v="$1" -v t="$2" -v dir="$3" 'BEGIN {ok = (dir == "max") ? v < t : v >= t; print ok ? "yes" : "**no**"}'; }
up_rate=$(rate "$up_bytes" "$up_s")
down_rate=$(rate "$down_bytes" "$down_s")
grow_up=$(mb $((HWM1 - HWM0)))
grow_down=$(mb $((HWM2 - HWM0)))

cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
ram=$(awk '/^MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || rev="$rev (with uncommitted changes)"
cat <<EOF
File: $MIB MiB ($BYTES bytes) of random data; SQLite, local storage in a temp dir on $(df -P "$WORK" | awk 'NR == 2 {print $1}'); curl $(curl --version | awk 'NR == 1 {print $2}') over loopback.
Machine: $(nproc) cores ($cpu), $ram RAM, Linux $(uname -r); revision $rev.
Download check: $verified.

| transfer | seconds | throughput, MB/s | target ≥ 200 MB/s | peak RSS growth, MB | target < 64 MB |
|---|---:|---:|:-:|---:|:-:|
| upload (multipart resource_create) | $(printf '%.2f' "$up_s") | $up_rate | $(verdict "$up_rate" 200 min) | $grow_up | $(verdict "$grow_up" 64 max) |
| download (GET …/download/…) | $(printf '%.2f' "$down_s") | $down_rate | $(verdict "$down_rate" 200 min) | $grow_down | $(verdict "$grow_down" 64 max) |

Server memory: VmHWM $(mb "$HWM0") MB before the upload (after a 1 MiB warm-up), $(mb "$HWM1") MB after it, $(mb "$HWM2") MB after the download; VmRSS $(mb "$RSS0") → $(mb "$RSS2") MB. The RSS growth columns are VmHWM after the transfer (and, for the download, the upload before it) minus VmHWM before the upload.
EOF
