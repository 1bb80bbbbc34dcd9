#!/usr/bin/env bash
# Regenerates the generated part of docs/POLICY.md from the policy's JSON Schema.
# Run it after changing a policy section; `cargo test` fails until the doc is current.
set -euo pipefail
cd "$(dirname "$0")/.."
generated=$(cargo run -q --release -p guardrail-cli -- policy-reference)
python3 - "$generated" <<'PY'
import sys, re, pathlib
doc = pathlib.Path("docs/POLICY.md")
text = doc.read_text()
begin = "<!-- BEGIN GENERATED: guardrail policy-reference -->"
end = "<!-- END GENERATED -->"
start, stop = text.index(begin), text.index(end) + len(end)
doc.write_text(text[:start] + sys.argv[1].strip() + text[stop:])
print("docs/POLICY.md updated")
PY
