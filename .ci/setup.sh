#!/usr/bin/env bash
# Installs what building (and, with --for-tests, testing) Plugboard needs, skipping
# whatever is already there. Safe to run again and again.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/target/tools/node_modules/.bin:$PATH"
for_tests=false
[ "${1:-}" = "--for-tests" ] && for_tests=true

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
step() { printf '\n== setup: %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "wasm32 target"
  rustup target add wasm32-unknown-unknown
fi

# cargo-leptos 0.3.11 needs a newer rustc; no_downloads because nothing but the
# package registries can be reached (it must not fetch its own tools).
if ! cargo leptos --version 2>/dev/null | grep -q '0\.3\.10'; then
  step "cargo-leptos 0.3.10 (about 12 minutes)"
  cargo install cargo-leptos --version 0.3.10 --locked --features no_downloads
fi

# The CLI must match the wasm-bindgen in Cargo.lock exactly. Not --locked: one of its
# locked dependencies is missing from the registry.
wbg_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -q " ${wbg_version}\$"; then
  step "wasm-bindgen-cli ${wbg_version}"
  cargo install wasm-bindgen-cli --version "${wbg_version}"
fi

# wasm-opt for release builds, from npm's binaryen (Debian's 108 breaks hydration).
if ! [ -x target/tools/node_modules/.bin/wasm-opt ]; then
  step "wasm-opt (npm binaryen 129)"
  mkdir -p target/tools
  npm install --prefix target/tools --no-audit --no-fund --silent binaryen@129
fi

if $for_tests; then
  # A process per test and a time limit on each (.config/nextest.toml).
  if ! cargo nextest --version >/dev/null 2>&1; then
    step "cargo-nextest"
    cargo install cargo-nextest --locked
  fi
  if ! command -v chromium >/dev/null 2>&1; then
    step "Debian chromium"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
  # schemathesis (PyPI) fuzzes the REST API from its OpenAPI document.
  if ! target/tools/venv/bin/schemathesis --version 2>/dev/null | grep -q '4\.32\.5'; then
    step "schemathesis 4.32.5"
    mkdir -p target/tools
    python3 -m venv target/tools/venv
    target/tools/venv/bin/pip install --quiet --disable-pip-version-check schemathesis==4.32.5
  fi
  # The sample plugins (examples/): authlib for the Python one, oauth4webapi for Node's.
  if ! target/tools/samples-venv/bin/python -c 'import authlib, requests' 2>/dev/null; then
    step "sample plugins' Python packages (authlib)"
    mkdir -p target/tools
    python3 -m venv target/tools/samples-venv
    target/tools/samples-venv/bin/pip install --quiet --disable-pip-version-check -r examples/python/requirements.txt
  fi
  if ! [ -d examples/node/node_modules/oauth4webapi ] || [ examples/node/package-lock.json -nt examples/node/node_modules/.package-lock.json ]; then
    step "sample plugins' npm packages (oauth4webapi)"
    (cd examples/node && npm ci --no-audit --no-fund --silent)
  fi
  if ! [ -d end2end/node_modules/@playwright/test ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
    step "end2end npm packages"
    (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
  fi
fi
echo "setup: ready"
