#!/usr/bin/env bash
# Secret scanners side by side on the same generated corpus, in one run.
#
# Installs the peers (pinned) under target/peers/, generates the corpus with
# shared/bench/gen_corpus.py (or uses $GUARDRAIL_CORPUS_DIR), runs every scanner on the same
# files, and prints CPU MB/s (bytes / (user + sys) seconds: per core), wall time, peak RSS,
# recall and precision against the generator's ground truth, and our ratio to each peer.
#
#   bash benches/peers/secrets/run.sh            # 64 MB corpus, seed 1
#   SIZE_MB=8 bash benches/peers/secrets/run.sh  # smaller corpus
#   SKIP=detect-secrets bash benches/peers/secrets/run.sh
#
# Needs: go, python3 (3.11+), cargo, /usr/bin/time (package `time`).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
HERE="$ROOT/benches/peers/secrets"
PEERS="$ROOT/target/peers"
SIZE_MB="${SIZE_MB:-64}"
SEED="${SEED:-1}"
SKIP="${SKIP:-}"
GITLEAKS_VERSION="v8.30.1"
DETECT_SECRETS_VERSION="1.5.0"
RIPSECRETS_VERSION="0.1.9"
mkdir -p "$PEERS/bin" "$PEERS/out"

if [ ! -x /usr/bin/time ]; then
  apt-get install -y time >/dev/null
fi

# --------------------------------------------------------------------------- corpus
GEN="$ROOT/../shared/bench/gen_corpus.py"
[ -f "$GEN" ] || GEN="$ROOT/../../shared/bench/gen_corpus.py"
CORPUS="${GUARDRAIL_CORPUS_DIR:-$ROOT/target/secrets-corpus/files${SIZE_MB}}"
if [ ! -f "$CORPUS/ground_truth.jsonl" ]; then
  python3 "$GEN" --size-mb "$SIZE_MB" --seed "$SEED" --out "$CORPUS"
fi
BYTES=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['bytes'])" "$CORPUS/manifest.json")

# --------------------------------------------------------------------------- installs
if [[ "$SKIP" != *gitleaks* ]] && [ ! -x "$PEERS/bin/gitleaks" ]; then
  GOBIN="$PEERS/bin" go install "github.com/zricethezav/gitleaks/v8@$GITLEAKS_VERSION"
fi
if [[ "$SKIP" != *detect-secrets* ]] && [ ! -x "$PEERS/venv/bin/detect-secrets" ]; then
  python3 -m venv "$PEERS/venv"
  "$PEERS/venv/bin/pip" install -q "detect-secrets==$DETECT_SECRETS_VERSION"
fi
if [[ "$SKIP" != *ripsecrets* ]] && [ ! -x "$PEERS/bin/ripsecrets" ]; then
  cargo install --locked --root "$PEERS" ripsecrets --version "$RIPSECRETS_VERSION"
fi
GUARDRAIL="${GUARDRAIL_BIN:-}"
if [ -z "$GUARDRAIL" ]; then
  (cd "$ROOT" && cargo build --release -p guardrail-cli)
  GUARDRAIL="${CARGO_TARGET_DIR:-$ROOT/target}/release/guardrail"
fi

# --------------------------------------------------------------------------- runs
OUT="$PEERS/out"
# Secret scanning alone: the other content detectors (PII, safety) and injection are off.
POLICY="$OUT/secrets-only.yaml"
printf 'version: 1\nname: secrets-only\nconstraints:\n  injection:\n    enabled: false\ncontent:\n  pii:\n    enabled: false\n  safety:\n    enabled: false\n' > "$POLICY"
measure() { # name, output file, command...
  local name="$1" out="$2"; shift 2
  echo "running $name ..." >&2
  /usr/bin/time -v -o "$OUT/$name.time" "$@" > "$out" 2> "$OUT/$name.stderr" || true
}
cd "$CORPUS"
measure guardrail "$OUT/guardrail.json" "$GUARDRAIL" scan --policy "$POLICY" --format json files
if [[ "$SKIP" != *gitleaks* ]]; then
  measure gitleaks "$OUT/gitleaks.log" "$PEERS/bin/gitleaks" dir files --no-banner \
    --report-format json --report-path "$OUT/gitleaks.json" --exit-code 0
fi
if [[ "$SKIP" != *ripsecrets* ]]; then
  measure ripsecrets "$OUT/ripsecrets.txt" "$PEERS/bin/ripsecrets" files
fi
if [[ "$SKIP" != *detect-secrets* ]]; then
  measure detect-secrets "$OUT/detect-secrets.json" "$PEERS/venv/bin/detect-secrets" scan --all-files files
fi

python3 "$HERE/score.py" "$CORPUS" "$OUT" "$BYTES"
