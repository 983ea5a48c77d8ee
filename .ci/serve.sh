#!/usr/bin/env bash
# Sets up, builds, seeds the demo (once) and serves Plugboard on SQLite at
# http://127.0.0.1:3000 (override with LEPTOS_SITE_ADDR). Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/setup.sh
export PATH="$HOME/.cargo/bin:$PWD/target/tools/node_modules/.bin:$PATH"
export LEPTOS_SITE_ROOT="$PWD/target/site"
# Build (and compress the built assets) only when a source changed since the last build:
# wasm-bindgen and wasm-opt alone take minutes even when cargo has nothing to do. The stamp
# lives in pkg/, which any cargo-leptos build empties first (a debug build's assets are not
# the release server's).
stamp=target/site/pkg/.built
if [ -x target/release/server ] && [ -f "$stamp" ] && [ -z "$(find Cargo.toml Cargo.lock .cargo app frontend server style public migrations -newer "$stamp" -type f -print -quit 2>/dev/null)" ]; then
  echo "serve: nothing changed since the last build"
else
  cargo leptos build --release --split
  ./target/release/server precompress
  touch "$stamp"
fi
./target/release/server seed --demo
echo "Sign in as owner@acme.test with password plugboard-demo"
exec ./target/release/server serve
