#!/usr/bin/env bash
# Sets up and runs every test: Rust unit and integration tests (each database test on
# SQLite and on PostgreSQL), then, against a release build, schemathesis on the REST API,
# the Playwright suite and Lighthouse.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/setup.sh --for-tests
export PATH="$HOME/.cargo/bin:$PWD/target/tools/node_modules/.bin:$PATH"
# Tests create (and drop) one database per test on this server.
export PLUGBOARD_TEST_POSTGRES_URL="${PLUGBOARD_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"

printf '\n== Rust tests (SQLite and PostgreSQL), a process per test, each with a time limit\n'
cargo nextest run -p app -p server --features app/ssr --profile ci

printf '\n== doctests: a tenant scope cannot be made outside authentication (compile_fail)\n'
timeout 900 cargo test --doc -p app -p server --features app/ssr -- server::scope

printf '\n== release build\n'
cargo leptos build --release --split
LEPTOS_SITE_ROOT="$PWD/target/site" ./target/release/server precompress

printf '\n== schemathesis against the REST API (SQLite and PostgreSQL)\n'
bash end2end/api-fuzz/run.sh

printf '\n== Playwright (Chromium)\n'
(cd end2end && npx playwright test)

printf '\n== Sample plugins: Python (authlib) and Node.js (oauth4webapi) against the release server\n'
bash examples/run.sh

printf '\n== Lighthouse, mobile preset (accessibility, best practices, SEO 100; performance at least 90)\n'
bash end2end/lighthouse.sh
