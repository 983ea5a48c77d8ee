#!/usr/bin/env bash
# Sets up, builds, seeds the demo (once) and serves Plugboard on SQLite at
# http://127.0.0.1:3000 (override with LEPTOS_SITE_ADDR). Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/setup.sh
export PATH="$HOME/.cargo/bin:$PWD/target/tools/node_modules/.bin:$PATH"
cargo leptos build --release
export LEPTOS_SITE_ROOT="$PWD/target/site"
./target/release/server seed --demo
echo "Sign in as owner@acme.test with password plugboard-demo"
exec ./target/release/server serve
