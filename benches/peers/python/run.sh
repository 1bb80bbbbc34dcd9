#!/usr/bin/env bash
# Python binding benchmark: the binding's per-call overhead over the Rust core on the same
# 1 KB checks, and Presidio's analyzer on the same input, in one run.
#
#   benches/peers/python/run.sh
#
# Builds the wheel (release) into target/wheels, installs it into target/venv, installs
# Presidio into target/venv-peers, runs the criterion bench `python_overhead` for the Rust
# times, then prints the tables of docs/benchmarks/python.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
out="$target/python-bench"
mkdir -p "$out"
export PIP_DISABLE_PIP_VERSION_CHECK=1
python="${PYTHON:-python3}"

[ -x "$target/venv/bin/python" ] || "$python" -m venv "$target/venv"
"$target/venv/bin/python" -m pip install --quiet maturin==1.16.0
(cd "$root/guardrail-py" && CARGO_TARGET_DIR="$target" "$target/venv/bin/maturin" build --release \
    --interpreter "$target/venv/bin/python" --out "$target/wheels" >"$out/maturin.log" 2>&1) || {
    tail -20 "$out/maturin.log"
    exit 1
}
wheel="$(ls -t "$target"/wheels/guardrail-*.whl | head -n 1)"
"$target/venv/bin/python" -m pip install --quiet --force-reinstall --no-deps "$wheel"

[ -x "$target/venv-peers/bin/python" ] || "$python" -m venv "$target/venv-peers"
"$target/venv-peers/bin/python" -m pip install --quiet presidio-analyzer==2.2.366

echo "timing the Rust core (cargo bench --bench python_overhead)" >&2
(cd "$root" && CARGO_TARGET_DIR="$target" cargo bench -p guardrail-core --bench python_overhead -- \
    --warm-up-time 1 --measurement-time 3 --noplot >"$out/rust.txt" 2>&1) || {
    tail -20 "$out/rust.txt"
    exit 1
}
echo "timing Presidio" >&2
"$target/venv-peers/bin/python" "$here/presidio_bench.py" "$here/prompt_1k.txt" >"$out/presidio.json"
echo "timing the Python binding" >&2
"$target/venv/bin/python" "$here/bench.py" "$out/rust.txt" "$out/presidio.json"
