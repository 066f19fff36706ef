#!/usr/bin/env bash
# Compatibility tests: drive real `cong` servers with the Python CKAN client ckanapi.
#
#   tests/compat/run.sh [pytest arguments]      e.g.  tests/compat/run.sh -k dump -x
#
# Installs tests/compat/requirements.txt (and requirements-nodeps.txt, without dependencies) into
# a venv (CONG_VENV, default target/compat-venv),
# builds `cong` with `cargo build -p server` unless CONG_BIN names a binary, then runs the
# tests once per backend in CONG_COMPAT_BACKENDS (default "sqlite postgres"). PostgreSQL is
# DATABASE_URL (default postgres://127.0.0.1:5432/test); each server gets a fresh schema
# there. When PostgreSQL is unreachable its run is skipped with a notice, unless
# CONG_COMPAT_REQUIRE_POSTGRES=1. Exits non-zero if any run fails.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VENV="${CONG_VENV:-$REPO/target/compat-venv}"
PYTHON="${PYTHON:-python3}"
export DATABASE_URL="${DATABASE_URL:-postgres://127.0.0.1:5432/test}"

# --- the venv, reinstalled only when requirements.txt changes -----------------------------
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.compat-requirements.sha256"
wanted="$(cat "$HERE/requirements.txt" "$HERE/requirements-nodeps.txt" | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$wanted" ]; then
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"
    # ckanext-dcat without CKAN: see ckan_shim/README.md
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r "$HERE/requirements-nodeps.txt"
    echo "$wanted" >"$stamp"
fi

# --- the cong binary --------------------------------------------------------------------------
if [ -z "${CONG_BIN:-}" ]; then
    # cargo is a no-op when the binary is fresh, and never lets the tests run a stale one
    (cd "$REPO" && cargo build -p server)
    CONG_BIN="${CARGO_TARGET_DIR:-$REPO/target}/debug/cong"
fi
if [ ! -x "$CONG_BIN" ]; then
    echo "compat: no cong binary at $CONG_BIN" >&2
    exit 1
fi
export CONG_BIN

# --- which backends -------------------------------------------------------------------------
backends=()
for backend in ${CONG_COMPAT_BACKENDS:-sqlite postgres}; do
    case "$backend" in
    sqlite) backends+=(sqlite) ;;
    postgres)
        if psql "$DATABASE_URL" -qAtc 'SELECT 1' >/dev/null 2>&1; then
            backends+=(postgres)
        elif [ "${CONG_COMPAT_REQUIRE_POSTGRES:-0}" = 1 ]; then
            echo "compat: PostgreSQL at $DATABASE_URL is unreachable (psql failed)" >&2
            exit 1
        else
            echo "compat: PostgreSQL at $DATABASE_URL is unreachable: skipping the PostgreSQL run" >&2
        fi
        ;;
    *)
        echo "compat: unknown backend '$backend' in CONG_COMPAT_BACKENDS (sqlite, postgres)" >&2
        exit 2
        ;;
    esac
done

# --- run ------------------------------------------------------------------------------------
status=0
for backend in "${backends[@]}"; do
    echo "=== ckanapi compatibility tests on $backend ==="
    CONG_COMPAT_BACKEND="$backend" PYTHONDONTWRITEBYTECODE=1 \
        "$VENV/bin/python" -m pytest "$HERE" "$@" || status=$?
done
exit "$status"
