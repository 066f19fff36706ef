#!/usr/bin/env bash
# S3 storage tests: starts a real S3-compatible server (moto's server mode, from PyPI) on
# loopback, makes a bucket, and runs the tests that need it:
#   - crates/files/tests/s3.rs: the Storage round trip (multipart parts, ranges, deletes, aborts);
#   - crates/server/tests/files_s3.rs: uploads, downloads, ranges, versions, deletes, size limit
#     and aborted uploads over HTTP with `[storage] kind = "s3"`, on SQLite and PostgreSQL
#     (every server gets a bucket of its own).
#
#   tests/s3/run.sh [cargo test arguments after --]     e.g.  tests/s3/run.sh --nocapture
#
# moto (tests/s3/requirements.txt) goes into a venv (CONG_S3_VENV, default target/s3-venv),
# reinstalled only when the requirements change. The server listens on 127.0.0.1 only, on a
# free port, and is stopped when the script exits. PostgreSQL: DATABASE_URL, as for
# scripts/test.sh (CONG_SKIP_POSTGRES=1 skips those tests when it is unreachable).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VENV="${CONG_S3_VENV:-$REPO/target/s3-venv}"
PYTHON="${PYTHON:-python3}"
export DATABASE_URL="${DATABASE_URL:-postgres://127.0.0.1:5432/test}"

# --- the venv -------------------------------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.s3-requirements.sha256"
wanted="$(sha256sum "$HERE/requirements.txt" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$wanted" ]; then
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"
    echo "$wanted" >"$stamp"
fi

# --- moto on a free loopback port -----------------------------------------------------------
port="$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
endpoint="http://127.0.0.1:$port"
log="$(mktemp -t cong-moto.XXXXXX.log)"
"$VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
moto_pid=$!
cleanup() {
    kill "$moto_pid" 2>/dev/null || true
    wait "$moto_pid" 2>/dev/null || true
    rm -f "$log"
}
trap cleanup EXIT

for _ in $(seq 1 100); do
    if curl -fs -o /dev/null "$endpoint/"; then
        break
    fi
    if ! kill -0 "$moto_pid" 2>/dev/null; then
        echo "s3: moto_server exited:" >&2
        cat "$log" >&2
        exit 1
    fi
    sleep 0.2
done
bucket="cong-test"
if ! curl -fsS -o /dev/null -X PUT "$endpoint/$bucket"; then
    echo "s3: cannot create bucket $bucket on $endpoint:" >&2
    cat "$log" >&2
    exit 1
fi
echo "== S3 tests against moto at $endpoint (bucket $bucket)"

export CONG_TEST_S3_ENDPOINT="$endpoint"
export CONG_TEST_S3_BUCKET="$bucket"
# Fake credentials for anything that reads them from the environment; moto accepts any.
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1

cd "$REPO"
cargo test --locked -p files --test s3 -- "$@"
cargo test --locked -p server --test files_s3 -- "$@"
