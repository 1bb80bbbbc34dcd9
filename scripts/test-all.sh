#!/usr/bin/env bash
# Runs every test of the project: formatting, lints, docs, Rust, Python, C and Go.
# This is the README's test command and what CI (.ci/run) runs. Each artifact is built once:
# one release build serves the CLI, the Rust tests, the Python wheel and the C/Go tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
start=$(date +%s)
step() { printf '\n== %s (%ss)\n' "$1" "$(( $(date +%s) - start ))"; }

command -v cargo >/dev/null || { echo "cargo not found: install Rust (rustup) first" >&2; exit 2; }
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt >/dev/null 2>&1 || true

step "test tools (promtool, OTLP protobuf definitions)"
# The observe export tests check payloads with the official tools; install them here so a
# fresh machine runs those checks instead of skipping them.
if ! command -v promtool >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null
  else
    echo "promtool is missing and cannot be installed here: the Prometheus export check will be skipped"
  fi
fi
[ -x target/venv/bin/python ] || python3 -m venv target/venv
target/venv/bin/python -m pip install -q --disable-pip-version-check opentelemetry-proto==1.45.2 protobuf==7.36.2
export PATH="$PWD/target/venv/bin:$PATH"

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -D warnings"
cargo clippy --workspace --all-targets --release -- -D warnings

step "cargo build --release"
cargo build --release

step "cargo test --release"
cargo test --release

step "cargo doc"
RUSTDOCFLAGS="-D warnings" cargo doc --release --no-deps --workspace --quiet

for suite in scripts/test-python.sh scripts/test-c.sh scripts/test-go.sh; do
  if [ -f "$suite" ]; then
    step "$suite"
    bash "$suite"
  fi
done

step "all tests passed"
