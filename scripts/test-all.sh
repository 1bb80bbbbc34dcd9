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
