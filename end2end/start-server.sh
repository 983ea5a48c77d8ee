#!/usr/bin/env bash
# Starts the release server for the Playwright suite on a fresh demo database, with a
# demo plugin server (demo-plugin.mjs) registered as an OAuth client beside it.
set -euo pipefail
cd "$(dirname "$0")"
port="${1:-3210}"
plugin_port="${2:-3211}"
rm -rf .tmp && mkdir -p .tmp
export DATABASE_URL="sqlite://$PWD/.tmp/e2e.db"
export LEPTOS_SITE_ROOT="$PWD/../target/site"
export LEPTOS_SITE_ADDR="127.0.0.1:${port}"
export PLUGBOARD_PUBLIC_URL="http://127.0.0.1:${port}"
export PLUGBOARD_OUTBOUND_ALLOWLIST="127.0.0.1"
# A lasting key, as production has: the CLI and the server seal and open the same secrets.
export PLUGBOARD_TOKEN_KEY="ZTJlLW9ubHkta2V5LTMyLWJ5dGVzLWxvbmctb2shISE="
export RUST_LOG="${RUST_LOG:-warn}"
../target/release/server seed --demo
../target/release/server plugins create --name "Timesheet Bridge" --slug timesheet-bridge --category finance \
  --author "Bridgeworks" --description "Sends finished tasks to your timesheets." \
  --redirect-uri "http://127.0.0.1:${plugin_port}/callback" --scope read:projects write:tasks \
  --publish --verified > .tmp/plugin.json
export PLUGBOARD_URL="$PLUGBOARD_PUBLIC_URL"
export CLIENT_ID=$(node -e 'console.log(require("./.tmp/plugin.json").client_id)')
export CLIENT_SECRET=$(node -e 'console.log(require("./.tmp/plugin.json").client_secret)')
export WEBHOOK_SECRET=$(node -e 'console.log(require("./.tmp/plugin.json").webhook_secret)')
node demo-plugin.mjs "$plugin_port" &
plugin_pid=$!
trap 'kill $plugin_pid 2>/dev/null' EXIT
../target/release/server serve
