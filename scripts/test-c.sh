#!/usr/bin/env bash
# Builds and runs the C example and the C tests against the release library: dynamically
# (under valgrind: no leak, no invalid access) and once statically, then compiles the header
# as C++. Expects `cargo build --release` to have run; builds guardrail-ffi itself if the
# library is missing. Ends with "N passed, M failed".
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
LIB="$TARGET/release"
OUT="$ROOT/examples/c/build"
CFLAGS=(-std=c99 -Wall -Wextra -Werror -O1 -g -I"$ROOT/include")
passed=0
failed=0

step() { # step NAME COMMAND...: runs a command, counts it, shows its output on failure
    local name="$1"; shift
    local log="$OUT/$name.log"
    if "$@" >"$log" 2>&1; then
        passed=$((passed + 1)); echo "ok    $name"
    else
        failed=$((failed + 1)); echo "FAIL  $name"; sed 's/^/      /' "$log" | tail -40
    fi
}

if [[ ! -f "$LIB/libguardrail.so" || ! -f "$LIB/libguardrail.a" ]]; then
    echo "building the release library (not found in $LIB)"
    cargo build --release -p guardrail-ffi || { echo "0 passed, 1 failed"; exit 1; }
fi
if ! command -v valgrind >/dev/null; then
    echo "installing valgrind"
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq valgrind; } >/dev/null 2>&1 \
        || echo "warning: could not install valgrind"
fi
mkdir -p "$OUT"

DYN=(-L"$LIB" -lguardrail -Wl,-rpath,"$LIB" -lpthread)
# The staticlib needs the system libraries Rust's std links.
STATIC=("$LIB/libguardrail.a" -lpthread -ldl -lm -lgcc_s -lc)
VALGRIND=(valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite,possible
          --error-exitcode=1)

step compile-example  gcc "${CFLAGS[@]}" examples/c/guard_tool_call.c "${DYN[@]}" -o "$OUT/guard_tool_call"
step compile-tests    gcc "${CFLAGS[@]}" examples/c/test_ffi.c "${DYN[@]}" -o "$OUT/test_ffi"
step compile-bench    gcc "${CFLAGS[@]}" -O2 examples/c/bench_ffi.c "${DYN[@]}" -o "$OUT/bench_ffi"
step compile-static   gcc "${CFLAGS[@]}" examples/c/test_ffi.c "${STATIC[@]}" -o "$OUT/test_ffi_static"
step header-cxx       g++ -std=c++17 -Wall -Wextra -Werror -fsyntax-only -x c++ include/guardrail.h
step header-c99-pedantic gcc -std=c99 -Wall -Wextra -Werror -pedantic -fsyntax-only -x c include/guardrail.h
step cxx-use          g++ -std=c++17 -Wall -Wextra -Werror -I"$ROOT/include" -x c++ - -o "$OUT/cxx_use" "${DYN[@]}" <<'CXX'
#include "guardrail.h"
#include <cstring>
int main() {
    guardrail_guard *guard = nullptr;
    if (guardrail_guard_new_default(&guard, nullptr) != GUARDRAIL_STATUS_OK) return 1;
    const char *text = "hello";
    guardrail_findings *findings = nullptr;
    guardrail_status st = guardrail_guard_scan(guard, GUARDRAIL_CHANNEL_USER,
        reinterpret_cast<const uint8_t *>(text), std::strlen(text), &findings, nullptr);
    guardrail_findings_free(findings);
    guardrail_guard_free(guard);
    return st == GUARDRAIL_STATUS_OK ? 0 : 1;
}
CXX
step run-cxx          "$OUT/cxx_use"

if [[ -x "$OUT/guard_tool_call" ]]; then
    step run-example-valgrind "${VALGRIND[@]}" "$OUT/guard_tool_call" examples/policy.yaml
fi
if [[ -x "$OUT/test_ffi" ]]; then
    step run-tests-valgrind "${VALGRIND[@]}" "$OUT/test_ffi"
    grep -h "passed," "$OUT/run-tests-valgrind.log" | sed 's/^/      C checks: /'
fi
if [[ -x "$OUT/test_ffi_static" ]]; then
    step run-tests-static "$OUT/test_ffi_static"
fi
if [[ -x "$OUT/bench_ffi" ]]; then
    step run-bench-smoke "$OUT/bench_ffi" 200
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
