#!/usr/bin/env bash
# Runs both sample plugins (python/ with authlib, node/ with oauth4webapi) against the
# release server on a fresh demo database, each through check.mjs: install, API, refresh,
# webhooks. CI runs it after the Playwright suite; needs the release build, a Python with
# examples/python/requirements.txt (PYTHON, default target/tools/samples-venv) and
# examples/node's npm packages (.ci/setup.sh --for-tests installs both). Loopback only.
set -euo pipefail
cd "$(dirname "$0")"
port="${1:-3310}"
py_port=$((port + 1))
node_port=$((port + 2))
python="${PYTHON:-$PWD/../target/tools/samples-venv/bin/python}"
server="$PWD/../target/release/server"
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

export DATABASE_URL="sqlite://$work/samples.db"
export LEPTOS_SITE_ROOT="$PWD/../target/site"
export LEPTOS_SITE_ADDR="127.0.0.1:${port}"
export PLUGBOARD_PUBLIC_URL="http://127.0.0.1:${port}"
export PLUGBOARD_OUTBOUND_ALLOWLIST="127.0.0.1"
# A lasting key, as production has (the samples need none of what it seals; it keeps the log quiet).
export PLUGBOARD_TOKEN_KEY="c2FtcGxlcy1vbmx5LWtleS0zMi1ieXRlcy1sb25nISE="
export RUST_LOG="${RUST_LOG:-warn}"
"$server" seed --demo >/dev/null
register() { # name slug port
  "$server" plugins create --name "$1" --slug "$2" --category automation --author "Plugboard samples" \
    --description "A sample plugin from examples/." --redirect-uri "http://127.0.0.1:$3/callback" \
    --scope read:projects write:tasks --webhook-url "http://127.0.0.1:$3/webhooks" --publish --verified > "$work/$2.json"
}
register "Python sample" python-sample "$py_port"
register "Node.js sample" node-sample "$node_port"
"$server" serve & pids+=($!)

wait_for() { # url
  for _ in $(seq 1 120); do
    if curl -fsS --max-time 2 "$1" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "timed out waiting for $1" >&2
  return 1
}
wait_for "$PLUGBOARD_PUBLIC_URL/healthz"

field() { node -e "process.stdout.write(require('$work/$1.json').$2)"; }
start() { # slug port command...
  local slug="$1" port="$2"
  shift 2
  PLUGBOARD_URL="$PLUGBOARD_PUBLIC_URL" CLIENT_ID="$(field "$slug" client_id)" CLIENT_SECRET="$(field "$slug" client_secret)" \
    WEBHOOK_SECRET="$(field "$slug" webhook_secret)" PORT="$port" "$@" & pids+=($!)
  wait_for "http://127.0.0.1:$port/status"
}
start python-sample "$py_port" "$python" python/plugin.py
start node-sample "$node_port" node node/plugin.mjs

timeout 120 node check.mjs "$PLUGBOARD_PUBLIC_URL" "http://127.0.0.1:$py_port" python-sample "Created by the Python sample"
timeout 120 node check.mjs "$PLUGBOARD_PUBLIC_URL" "http://127.0.0.1:$node_port" node-sample "Created by the Node.js sample"
echo "samples: both passed"
