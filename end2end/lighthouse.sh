#!/usr/bin/env bash
# Runs Lighthouse (mobile preset) against the release build on a fresh demo database and
# prints the scores; fails below the bar (see lighthouse.mjs). Needs `cargo leptos build
# --release --split` (and `server precompress`) first, and the end2end npm packages.
set -euo pipefail
cd "$(dirname "$0")"
port="${PLUGBOARD_LIGHTHOUSE_PORT:-3240}"
# In a process group of its own, so that stopping it stops the server and the demo plugin.
setsid bash ./start-server.sh "$port" "$((port + 1))" > .lighthouse-server.log 2>&1 &
server=$!
trap 'kill -- -"$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -fsS --max-time 2 "http://127.0.0.1:${port}/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done
CHROME_PATH="${CHROME_PATH:-/usr/bin/chromium}" timeout 600 node lighthouse.mjs "http://127.0.0.1:${port}" "$@"
