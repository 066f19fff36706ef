#!/usr/bin/env bash
# scripts/bench-writes.sh — the foundation's write benchmarks, on SQLite and PostgreSQL:
# reads right after writes, package_show/package_search throughput (wrk -t2 -c8), and
# `ckanapi load datasets -p 4` of a dump of BENCH_DATASETS generated datasets into a fresh
# portal. Prints a Markdown report (see scripts/bench/writes.py); loopback only.
#
# Environment: BENCH_DATASETS (10000), BENCH_PROBES (300), BENCH_SECONDS (10),
# BENCH_BACKENDS ("sqlite postgres"), DATABASE_URL (postgres://127.0.0.1:5432/test),
# CONG_BIN (default: build target/release/cong), CARGO_TARGET_DIR.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export DATABASE_URL="${DATABASE_URL:-postgres://127.0.0.1:5432/test}"

command -v wrk >/dev/null 2>&1 || { apt-get install -y wrk >&2 || { apt-get update >&2 && apt-get install -y wrk >&2; }; }
command -v psql >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq postgresql-client >&2; }

VENV="${CONG_VENV:-$ROOT/target/compat-venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/compat/requirements.txt
export CKANAPI="$VENV/bin/ckanapi"
# ckanapi runs its parallel workers as `ckanapi` processes found on PATH.
export PATH="$VENV/bin:$PATH"

if [[ -z ${CONG_BIN:-} ]]; then
  cargo build --release --locked -p server >&2
  CONG_BIN=${CARGO_TARGET_DIR:-target}/release/cong
fi
export CONG_BIN
exec "$VENV/bin/python" scripts/bench/writes.py
