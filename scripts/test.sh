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
    echo "scripts/test.sh: cargo is not installed; install Rust 1.89 or newer from https://rustup.rs" >&2
    exit 1
fi

# Tests that read the public data sets find them here, or skip with a reason.
export TERTULIA_DATA="${TERTULIA_DATA:-$(cd .. && pwd)/shared/data}"

cargo test --workspace --all-features
