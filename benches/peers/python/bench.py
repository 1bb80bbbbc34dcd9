"""Python call overhead of guardrail vs the Rust core on the same 1 KB checks, and Presidio
on the same input. Run through run.sh (it builds the wheel, the venvs and the Rust timings).

Usage: bench.py RUST_CRITERION_OUTPUT PRESIDIO_JSON
"""

from __future__ import annotations

import json
import platform
import re
import statistics
import sys
import timeit
from pathlib import Path

import guardrail
from guardrail import Guard

HERE = Path(__file__).resolve().parent
TEXT = (HERE / "prompt_1k.txt").read_text(encoding="utf-8")
PII_POLICY = (HERE / "pii_policy.yaml").read_text(encoding="utf-8")
OVERHEAD_POLICY = (HERE / "overhead_policy.yaml").read_text(encoding="utf-8")

UNITS = {"ps": 1e-6, "ns": 1e-3, "µs": 1.0, "us": 1.0, "ms": 1e3, "s": 1e6}


def rust_times(path: str) -> dict[str, float]:
    """Median per-iteration times (µs) from criterion's output."""
    out: dict[str, float] = {}
    name = None
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        m = re.match(r"^python_overhead/(\S+)\s*$", line.strip())
        if m:
            name = m.group(1)
            continue
        m = re.search(r"time:\s+\[\S+ \S+ (\S+) (\S+) \S+ \S+\]", line)
        if m and name:
            out[name] = float(m.group(1)) * UNITS[m.group(2)]
            name = None
    return out


def per_call_us(fn: object) -> float:
    """Median over 15 batches of the time per call, like criterion's median estimate."""
    timer = timeit.Timer(fn)  # type: ignore[arg-type]
    number, _ = timer.autorange()
    number = max(number, 2000)
    return statistics.median(timer.repeat(repeat=15, number=number)) / number * 1e6


def main() -> None:
    rust = rust_times(sys.argv[1])
    presidio = json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))

    default = Guard.default()
    minimal = Guard.from_yaml(OVERHEAD_POLICY)
    pii = Guard.from_yaml(PII_POLICY)
    d = pii.check_output(TEXT)
    assert d.action == "redact", d
    found = sorted({f.rule for f in d.findings})

    cases = {
        "minimal_prompt": (
            "overhead policy: check_prompt(1 KB) -> redact (1 finding)",
            lambda: minimal.check_prompt(TEXT),
        ),
        "default_prompt": ("Guard.default().check_prompt(1 KB)", lambda: default.check_prompt(TEXT)),
        "default_tool_call": (
            "Guard.default().check_tool_call(args with 1 KB)",
            lambda: default.check_tool_call("ticket.update", {"ticket": 1182, "note": TEXT, "notify": True}),
        ),
        "pii_output": ("PII policy: check_output(1 KB) -> redact", lambda: pii.check_output(TEXT)),
    }
    print(f"guardrail {guardrail.__version__}, Python {platform.python_version()}, {platform.machine()}")
    print(f"input: {len(TEXT.encode())} bytes; PII policy findings: {', '.join(found)}")
    print()
    print("| check | Rust core (µs) | Python call (µs) | binding overhead (µs) |")
    print("|---|---:|---:|---:|")
    python: dict[str, float] = {}
    for key, (label, fn) in cases.items():
        python[key] = per_call_us(fn)
        r = rust.get(key)
        over = f"{python[key] - r:.2f}" if r is not None else "n/a"
        rs = f"{r:.2f}" if r is not None else "n/a"
        print(f"| {label} | {rs} | {python[key]:.2f} | {over} |")
    scan = per_call_us(lambda: pii.scan(TEXT, channel="model_output"))
    redact = per_call_us(lambda: pii.redact(TEXT))
    print(f"| PII policy: scan(1 KB) | | {scan:.2f} | |")
    print(f"| PII policy: redact(1 KB) | | {redact:.2f} | |")
    print()
    out = default.check_output(TEXT)
    default_found = sorted({f.rule for f in out.findings})
    default_us = per_call_us(lambda: default.check_output(TEXT))
    ratio = presidio["per_call_us"] / python["pii_output"]
    print("| scanner, same 1 KB input, same run | per call (µs) | entities |")
    print("|---|---:|---|")
    print(f"| guardrail (Python, built-in policy, check_output) | {default_us:.2f} | {', '.join(default_found)} |")
    print(f"| guardrail (Python, PII policy, check_output) | {python['pii_output']:.2f} | {', '.join(found)} |")
    print(f"| Presidio AnalyzerEngine (blank spaCy, pattern recognizers) | {presidio['per_call_us']:.0f} | {', '.join(presidio['entities'])} |")
    print()
    print(f"Presidio / guardrail (built-in policy): {presidio['per_call_us'] / default_us:.0f}x")
    print(f"Presidio / guardrail (PII policy): {ratio:.0f}x")


if __name__ == "__main__":
    main()
