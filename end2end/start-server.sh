#!/usr/bin/env bash
# Starts the release server for the Playwright suite on a fresh demo database.
set -euo pipefail
cd "$(dirname "$0")"
port="${1:-3210}"
rm -rf .tmp && mkdir -p .tmp
export DATABASE_URL="sqlite://$PWD/.tmp/e2e.db"
export LEPTOS_SITE_ROOT="$PWD/../target/site"
export LEPTOS_SITE_ADDR="127.0.0.1:${port}"
export RUST_LOG="${RUST_LOG:-warn}"
../target/release/server seed --demo
exec ../target/release/server serve
