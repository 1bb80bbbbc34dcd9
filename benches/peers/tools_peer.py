#!/usr/bin/env python3
"""Peer comparison for tool-call constraints: the same ~1 KB tool call, validated against the
same JSON Schema and its SQL classified, by the usual Python stack (`jsonschema` with format
checking + `sqlglot` for SQL), then by guardrail's criterion benchmark, in one run.

Usage: python3 benches/peers/tools_peer.py [--skip-rust]

It installs its peers itself into a private virtual environment (benches/peers/.venv-tools),
with pinned versions, through pip. The Rust side runs
`cargo bench -p guardrail-core --bench tools -- schema\\+sql/1kb$`.
"""

import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
VENV = HERE / ".venv-tools"
PEERS = ["jsonschema==4.26.0", "sqlglot==30.30.0"]
ROUNDS = 20_000


def ensure_venv() -> pathlib.Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PEERS], check=True)
    return python


PEER_CODE = r"""
import json, statistics, sys, time
import jsonschema, sqlglot
from sqlglot import exp

data = json.load(open(sys.argv[1]))
rounds = int(sys.argv[2])
tool = data["tool"]
schema = next(t["function"]["parameters"] for t in data["config"]["openai"]
              if t["function"]["name"] == tool)
allowed = {"invoices", "customers", "refunds"}
call = data["call"]
cls = jsonschema.validators.validator_for(schema)
validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
WRITES = (exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Create, exp.Drop, exp.Alter)

def check(args):
    findings = [e.json_path for e in validator.iter_errors(args)]
    statements = sqlglot.parse(args["sql"], read="postgres")
    if len(statements) > 1:
        findings.append("multiple")
    for s in statements:
        if any(isinstance(n, WRITES) for n in s.walk()):
            findings.append("write")
        for t in s.find_all(exp.Table):
            if t.name.lower() not in allowed:
                findings.append("table " + t.name)
    return findings

assert check(call) == [], check(call)
for _ in range(200):
    check(call)
samples = []
for _ in range(rounds):
    t0 = time.perf_counter_ns()
    check(call)
    samples.append(time.perf_counter_ns() - t0)
samples.sort()
print(json.dumps({"p50_us": samples[len(samples) // 2] / 1000,
                  "p99_us": samples[int(len(samples) * 0.99)] / 1000,
                  "mean_us": statistics.fmean(samples) / 1000}))
"""


def main() -> None:
    input_path = HERE / "tools_input.json"
    size = len(json.dumps(json.load(open(input_path))["call"], separators=(",", ":")))
    python = ensure_venv()
    out = subprocess.run([str(python), "-c", PEER_CODE, str(input_path), str(ROUNDS)],
                         check=True, capture_output=True, text=True).stdout
    peer = json.loads(out)
    print(f"input: one tool call, {size} bytes of arguments, schema + SQL classification")
    print(f"peer  jsonschema 4.26.0 + sqlglot 30.30.0 (Python {sys.version.split()[0]}): "
          f"p50 {peer['p50_us']:.1f} us, p99 {peer['p99_us']:.1f} us")
    if "--skip-rust" in sys.argv:
        return
    env = dict(os.environ)
    bench = subprocess.run(
        ["cargo", "bench", "-p", "guardrail-core", "--bench", "tools", "--", r"schema\+sql/1kb$"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout
    for line in bench.splitlines():
        if "time:" in line or "schema+sql" in line:
            print("guardrail", line.strip())


if __name__ == "__main__":
    main()
