#!/usr/bin/env bash
# Fuzzes the plugin REST API with schemathesis, driven by the API's own OpenAPI document,
# against the release server with a real access token (installed through sign-in, the
# consent screen and the token endpoint). Runs on SQLite, then on PostgreSQL when
# PLUGBOARD_TEST_POSTGRES_URL names a server. Every server it starts binds to 127.0.0.1
# and is stopped when the script ends.
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd ../.. && pwd)
server="$root/target/release/server"
schemathesis="$root/target/tools/venv/bin/schemathesis"
port="${PLUGBOARD_FUZZ_PORT:-3230}"
base="http://127.0.0.1:${port}"
examples="${PLUGBOARD_FUZZ_EXAMPLES:-40}"
# A fixed seed keeps CI repeatable; PLUGBOARD_FUZZ_SEED=random explores new inputs.
seed="${PLUGBOARD_FUZZ_SEED:-20261123}"
seed_args=(--seed "$seed")
[ "$seed" = random ] && seed_args=()
# More schemathesis options, e.g. PLUGBOARD_FUZZ_ARGS="--report har" to keep the traffic.
read -r -a extra_args <<< "${PLUGBOARD_FUZZ_ARGS:-}"
work=$(mktemp -d)
server_pid=""
pg_database=""

cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  if [ -n "$pg_database" ]; then
    psql -q "$PLUGBOARD_TEST_POSTGRES_URL" -c "DROP DATABASE IF EXISTS ${pg_database} WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

fuzz() {
  local label="$1"
  export DATABASE_URL="$2"
  export LEPTOS_SITE_ROOT="$root/target/site" LEPTOS_SITE_ADDR="127.0.0.1:${port}" PLUGBOARD_PUBLIC_URL="$base"
  # The fuzzer's own budget: the limit itself is tested in the Rust suite.
  export PLUGBOARD_API_REQUESTS_PER_MINUTE=100000000 PLUGBOARD_WEBHOOK_WORKER=0 RUST_LOG="${RUST_LOG:-warn}"
  printf '\n-- schemathesis on %s\n' "$label"
  "$server" seed --demo >/dev/null
  "$server" plugins create --name "API fuzzer" --slug api-fuzzer --category developer-tools \
    --redirect-uri https://fuzzer.example.com/callback \
    --scope read:projects write:projects read:tasks write:tasks read:users --publish > "$work/plugin.json"
  "$server" serve & server_pid=$!
  python3 - "$base/healthz" <<'PY'
import sys, time, urllib.request
for _ in range(300):
    try:
        urllib.request.urlopen(sys.argv[1], timeout=1); sys.exit(0)
    except Exception:
        time.sleep(0.1)
sys.exit("the server did not start")
PY
  local client_id client_secret token
  client_id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["client_id"])' "$work/plugin.json")
  client_secret=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["client_secret"])' "$work/plugin.json")
  token=$(python3 install_token.py "$base" admin@acme.test plugboard-demo "$client_id" "$client_secret" \
    https://fuzzer.example.com/callback "read:projects write:projects read:tasks write:tasks read:users")
  # One worker: two would share the tenant, so one's DELETE /projects/{id} could remove
  # the task the other's stateful sequence just created (and the seed would not repeat).
  "$schemathesis" --no-color --config-file schemathesis.toml run "$base/api/v1/openapi.json" --url "$base/api/v1" \
    --header "Authorization: Bearer ${token}" --checks all --exclude-checks ensure_resource_availability \
    --max-examples "$examples" --workers 1 "${seed_args[@]}" "${extra_args[@]}"
  kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

fuzz SQLite "sqlite://${work}/fuzz.db"
if [ -n "${PLUGBOARD_TEST_POSTGRES_URL:-}" ]; then
  pg_database="pb_fuzz_$$"
  psql -q "$PLUGBOARD_TEST_POSTGRES_URL" -c "CREATE DATABASE ${pg_database}" >/dev/null
  fuzz PostgreSQL "${PLUGBOARD_TEST_POSTGRES_URL%/*}/${pg_database}"
fi
