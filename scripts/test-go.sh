#!/usr/bin/env bash
# Runs go vet and go test -race for the Go package (go/) and the example service
# (examples/go/) against the release library. Expects `cargo build --release` to have run;
# builds guardrail-ffi itself if the library is missing. Honours CARGO_TARGET_DIR.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
LIB="$TARGET/release"
if [[ ! -f "$LIB/libguardrail.so" ]]; then
    echo "building the release library (not found in $LIB)"
    cargo build --release -p guardrail-ffi
fi
# The package's #cgo directives point at ../target/release; this adds the real directory
# (and its rpath) when CARGO_TARGET_DIR puts the library elsewhere.
export CGO_ENABLED=1
export CGO_LDFLAGS="-L$LIB -Wl,-rpath,$LIB ${CGO_LDFLAGS:-}"
# No module downloads are needed (no third-party dependencies); keep it that way.
export GOPROXY="${GOPROXY:-off}"

status=0
for dir in go examples/go; do
    echo "== $dir"
    (cd "$dir" && go vet ./... && go test -race -count=1 -v ./... 2>&1 | tee "$ROOT/$dir/.test.log" | grep -E '^(--- FAIL|FAIL|ok|PASS)' ) || status=1
    if grep -q -- '--- FAIL' "$ROOT/$dir/.test.log"; then status=1; fi
done
passed=$(cat go/.test.log examples/go/.test.log | grep -c -- '^--- PASS' || true)
failed=$(cat go/.test.log examples/go/.test.log | grep -c -- '^--- FAIL' || true)
rm -f go/.test.log examples/go/.test.log
echo "$passed passed, $failed failed"
exit $status
