#!/usr/bin/env bash
# Validates the observe layer's export payloads in PAYLOAD_DIR:
#   *traces*.json, *metrics*.json  parsed with the official OpenTelemetry protobuf definitions
#                                  (Python: pip install opentelemetry-proto protobuf)
#   *.prom                         checked with `promtool check metrics`
#                                  (Debian: apt-get install -y prometheus)
# A missing tool is reported as skipped, not as a failure. Exit 1 if any check fails.
# Write the payloads first with:
#   GUARDRAIL_PAYLOAD_DIR=DIR cargo test -p guardrail-core --test observe_exports
set -uo pipefail
dir=${1:?usage: scripts/check-exports.sh PAYLOAD_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
status=0
if [ ! -d "$dir" ]; then
  echo "error: $dir is not a directory" >&2
  exit 1
fi
if python3 -c 'import opentelemetry.proto, google.protobuf' 2>/dev/null; then
  python3 "$root/guardrail-core/tests/observe_check_otlp.py" "$dir" || status=1
else
  echo "skipped: OTLP check needs python3 with opentelemetry-proto and protobuf (pip install opentelemetry-proto protobuf)"
fi
if command -v promtool >/dev/null 2>&1; then
  found=0
  for f in "$dir"/*.prom; do
    [ -e "$f" ] || continue
    found=1
    if out=$(promtool check metrics < "$f" 2>&1); then
      echo "ok: $(basename "$f"): promtool check metrics"
    else
      echo "error: $(basename "$f"): promtool check metrics:"
      echo "$out"
      status=1
    fi
  done
  if [ "$found" = 0 ]; then
    echo "error: no .prom payload in $dir"
    status=1
  fi
else
  echo "skipped: promtool check needs promtool (apt-get install -y prometheus)"
fi
exit $status
