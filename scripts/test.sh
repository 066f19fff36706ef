#!/usr/bin/env bash
# Runs every test Cổng has: formatting and lints, Rust unit tests and end-to-end tests over HTTP
# on SQLite and on PostgreSQL, then the compatibility tests with the real Python client ckanapi.
#
# PostgreSQL: DATABASE_URL (default postgres://127.0.0.1:5432/test). Each test gets its own schema.
set -euo pipefail
cd "$(dirname "$0")/.."

export DATABASE_URL="${DATABASE_URL:-postgres://127.0.0.1:5432/test}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# psql creates the per-test schemas; it comes with PostgreSQL's client package.
if ! command -v psql >/dev/null 2>&1; then
  echo "== installing the PostgreSQL client (psql)"
  apt-get update -qq && apt-get install -y -qq postgresql-client >/dev/null
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test (SQLite and PostgreSQL)"
cargo test --workspace --locked
bash tests/s3/run.sh
export CONG_COMPAT_REQUIRE_POSTGRES="${CONG_COMPAT_REQUIRE_POSTGRES:-1}"
echo "== ckanapi compatibility tests"
bash tests/compat/run.sh
