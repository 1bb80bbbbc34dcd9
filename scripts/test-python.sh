#!/usr/bin/env bash
# Builds the Python wheel once (release, abi3) and runs the pytest suite against the installed
# wheel in a virtualenv, with the LangChain and OpenAI Agents extras, the stub check
# (mypy.stubtest) and mypy on the tests.
#
#   scripts/test-python.sh            # from anywhere in the repository
#
# The venv lives in $CARGO_TARGET_DIR/venv (target/venv by default) and is reused; the wheel
# goes to target/wheels; the release build shares target/ with `cargo build --release`.
# Needs only Rust and Python 3 (>= 3.9); everything else comes from the package registry.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
venv="$target/venv"
wheels="$target/wheels"
python="${PYTHON:-python3}"
export PIP_DISABLE_PIP_VERSION_CHECK=1

# Pinned tools; the extras' pins live in guardrail-py/pyproject.toml.
maturin_pin="maturin==1.16.0"

if [ ! -x "$venv/bin/python" ]; then
    echo "creating $venv"
    "$python" -m venv "$venv" || {
        echo "error: '$python -m venv' failed; install the venv module (Debian: apt-get install python3-venv)" >&2
        exit 1
    }
fi
vpy="$venv/bin/python"
"$vpy" -m pip install --quiet "$maturin_pin"

echo "building the wheel (release)"
rm -f "$wheels"/guardrail-*.whl
(cd "$root/guardrail-py" && CARGO_TARGET_DIR="$target" "$venv/bin/maturin" build --release \
    --interpreter "$vpy" --out "$wheels")
wheel="$(ls "$wheels"/guardrail-*.whl | head -n 1)"

echo "installing $(basename "$wheel") with its extras"
"$vpy" -m pip install --quiet --force-reinstall --no-deps "$wheel"
"$vpy" -m pip install --quiet "$wheel[langchain,openai-agents,test]"

cd "$root/guardrail-py"
echo "checking the type stubs"
"$vpy" -m mypy.stubtest guardrail._guardrail
"$vpy" -m mypy --strict -p guardrail
"$vpy" -m mypy tests

echo "running pytest"
"$vpy" -m pytest tests -p no:cacheprovider -q
