#!/usr/bin/env bash
# Runs every test of tertulia: unit tests, property tests, integration tests,
# doc tests and the examples' builds, for every crate and feature.
#
# This is the one test command of the README. When a test needs a real server,
# this script installs it, starts it before the tests and stops it after, so a
# fresh machine needs nothing but this command.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
    echo "scripts/test.sh: cargo is not installed; install Rust 1.94 or newer from https://rustup.rs" >&2
    exit 1
fi

# Tests that read the public data sets find them here, or skip with a reason.
export TERTULIA_DATA="${TERTULIA_DATA:-$(cd .. && pwd)/shared/data}"

# The Bluesky connector's tests run against a real PDS with its PLC
# directory (@atproto/dev-env, pinned by crates/tertulia-bluesky/pds's lock
# file), installed here, started on 127.0.0.1 and stopped when the tests end.
pds_dir=crates/tertulia-bluesky/pds
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "scripts/test.sh: Node.js 20 or newer with npm is needed: the Bluesky tests run a real PDS (Debian: apt-get install nodejs npm)" >&2
    exit 1
fi
if [ ! -f "$pds_dir/node_modules/.package-lock.json" ] \
    || [ "$pds_dir/package-lock.json" -nt "$pds_dir/node_modules/.package-lock.json" ]; then
    echo "== installing the test PDS (npm ci in $pds_dir)"
    # better-sqlite3 builds from source: against the local Node's headers.
    (cd "$pds_dir" && npm_config_nodedir="${npm_config_nodedir:-$(dirname "$(dirname "$(command -v node)")")}" \
        npm ci --no-audit --no-fund --loglevel=error)
fi
free_port() {
    node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}
pds_port=$(free_port)
plc_port=$(free_port)
pds_log=$(mktemp)
PDS_PORT=$pds_port PLC_PORT=$plc_port node "$pds_dir/start.mjs" >"$pds_log" 2>&1 &
pds_pid=$!
trap 'kill "$pds_pid" 2>/dev/null || true; wait "$pds_pid" 2>/dev/null || true; rm -f "$pds_log"' EXIT
for _ in $(seq 1 240); do
    grep -q '"pds"' "$pds_log" && break
    if ! kill -0 "$pds_pid" 2>/dev/null; then
        echo "scripts/test.sh: the test PDS did not start:" >&2
        cat "$pds_log" >&2
        exit 1
    fi
    sleep 0.5
done
if ! grep -q '"pds"' "$pds_log"; then
    echo "scripts/test.sh: the test PDS did not start within two minutes:" >&2
    cat "$pds_log" >&2
    exit 1
fi
export TERTULIA_PDS_URL="http://127.0.0.1:$pds_port"
echo "== test PDS on $TERTULIA_PDS_URL"

# The store's and worker's tests run on SQLite and on a real PostgreSQL: the
# one TERTULIA_POSTGRES_URL names, or a private one started here (initdb into
# a temporary folder, listening on 127.0.0.1 on a free port, as a user other
# than root, stopped when the tests end).
if [ -z "${TERTULIA_POSTGRES_URL:-}" ]; then
    pg_bin=""
    for d in "$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/x)")" /usr/lib/postgresql/*/bin; do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then pg_bin=$d; break; fi
    done
    if [ -z "$pg_bin" ]; then
        echo "scripts/test.sh: PostgreSQL 13 or newer is needed for the store tests (Debian: apt-get install postgresql), or set TERTULIA_POSTGRES_URL" >&2
        exit 1
    fi
    pg_dir=$(mktemp -d)
    pg_port=$(free_port)
    as_pg() { "$@"; }
    if [ "$(id -u)" = 0 ]; then
        # PostgreSQL refuses to run as root.
        pg_user=$(id -un postgres 2>/dev/null || echo nobody)
        chown "$pg_user" "$pg_dir"
        as_pg() { runuser -u "$pg_user" -- "$@"; }
    fi
    as_pg "$pg_bin/initdb" -D "$pg_dir/data" -U tertulia --auth=trust -E UTF8 >"$pg_dir/initdb.log" 2>&1 \
        || { echo "scripts/test.sh: initdb failed:" >&2; cat "$pg_dir/initdb.log" >&2; exit 1; }
    as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
        -o "-h 127.0.0.1 -p $pg_port -k $pg_dir -c max_connections=200 -c fsync=on" start >/dev/null \
        || { echo "scripts/test.sh: PostgreSQL did not start:" >&2; cat "$pg_dir/server.log" >&2; exit 1; }
    trap 'kill "$pds_pid" 2>/dev/null || true; wait "$pds_pid" 2>/dev/null || true; rm -f "$pds_log"; as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast stop >/dev/null 2>&1 || true; rm -rf "$pg_dir"' EXIT
    export TERTULIA_POSTGRES_URL="postgres://tertulia@127.0.0.1:$pg_port/postgres"
    # The test that stops and restarts a server starts its own with these.
    export TERTULIA_PG_BIN="$pg_bin"
    if [ "$(id -u)" = 0 ]; then export TERTULIA_PG_USER="$pg_user"; fi
fi
# Here the PostgreSQL tests must run, never skip.
export TERTULIA_REQUIRE_POSTGRES=1
echo "== PostgreSQL at ${TERTULIA_POSTGRES_URL%%\?*}"

cargo test --workspace --all-features
