#!/usr/bin/env python3
"""Scores the outputs of run.sh against the corpus ground truth and prints the table.

Line level for every tool (a finding counts as a true positive when its line range meets the
line range of a planted secret; a secret is found when some finding meets its lines), since
detect-secrets and ripsecrets report lines only. Byte level for guardrail too (the
generator's own rule: a finding is a true positive if its byte span overlaps a secret's).
"""
import json
import os
import re
import sys
from collections import defaultdict


def load_truth(corpus):
    secrets = defaultdict(list)  # file -> [(start, end, line_start, line_end)]
    cache = {}
    with open(os.path.join(corpus, "ground_truth.jsonl")) as f:
        for line in f:
            g = json.loads(line)
            if g["label"] != "secret":
                continue
            path = g["file"]
            if path not in cache:
                with open(os.path.join(corpus, path), "rb") as fh:
                    cache[path] = fh.read()
            data = cache[path]
            first = g["line"]
            last = first + data.count(b"\n", g["start"], g["end"])
            secrets[norm(path)].append((g["start"], g["end"], first, last))
    return secrets


def norm(path):
    path = path.replace("\\", "/")
    i = path.find("files/")
    return path[i:] if i >= 0 else path


def parse_time(path):
    t = {"user": 0.0, "sys": 0.0, "wall": 0.0, "rss_kb": 0}
    if not os.path.exists(path):
        return None
    for line in open(path):
        line = line.strip()
        if line.startswith("User time"):
            t["user"] = float(line.split(":")[-1])
        elif line.startswith("System time"):
            t["sys"] = float(line.split(":")[-1])
        elif line.startswith("Maximum resident"):
            t["rss_kb"] = int(line.split(":")[-1])
        elif line.startswith("Elapsed (wall clock)"):
            v = line.split("):")[-1].strip().split(":")
            secs = 0.0
            for part in v:
                secs = secs * 60 + float(part)
            t["wall"] = secs
    return t


def findings_guardrail(out):
    p = os.path.join(out, "guardrail.json")
    if not os.path.exists(p):
        return None
    doc = json.load(open(p))
    res = []
    for f in doc.get("files", []):
        for x in f.get("findings", []):
            span = x.get("span")
            line = x.get("line") or 0
            res.append((norm(f["path"]), line, line, (span["start"], span["end"]) if span else None))
    return res


def findings_gitleaks(out):
    p = os.path.join(out, "gitleaks.json")
    if not os.path.exists(p):
        return None
    res = []
    for x in json.load(open(p)) or []:
        res.append((norm(x["File"]), x["StartLine"], x["EndLine"], None))
    return res


def findings_ripsecrets(out):
    p = os.path.join(out, "ripsecrets.txt")
    if not os.path.exists(p):
        return None
    res = []
    pat = re.compile(r"^(.+?):(\d+):")
    for line in open(p, errors="replace"):
        m = pat.match(re.sub(r"\x1b\[[0-9;]*m", "", line))
        if m:
            n = int(m.group(2))
            res.append((norm(m.group(1)), n, n, None))
    return res


def findings_detect_secrets(out):
    p = os.path.join(out, "detect-secrets.json")
    if not os.path.exists(p) or os.path.getsize(p) == 0:
        return None
    doc = json.load(open(p))
    res = []
    for path, items in doc.get("results", {}).items():
        for x in items:
            n = x["line_number"]
            res.append((norm(path), n, n, None))
    return res


def score_lines(truth, findings):
    tp = 0
    found = set()
    for path, l1, l2, _ in findings:
        hit = False
        for i, (_, _, a, b) in enumerate(truth.get(path, [])):
            if l1 <= b and a <= l2:
                hit = True
                found.add((path, i))
        tp += hit
    total = sum(len(v) for v in truth.values())
    recall = len(found) / total if total else 0.0
    precision = tp / len(findings) if findings else 0.0
    return recall, precision, len(findings)


def score_bytes(truth, findings):
    tp = 0
    found = set()
    for path, _, _, span in findings:
        if span is None:
            continue
        hit = False
        for i, (s, e, _, _) in enumerate(truth.get(path, [])):
            if span[0] < e and s < span[1]:
                hit = True
                found.add((path, i))
        tp += hit
    total = sum(len(v) for v in truth.values())
    return len(found) / total, (tp / len(findings) if findings else 0.0)


def main():
    corpus, out, nbytes = sys.argv[1], sys.argv[2], int(sys.argv[3])
    truth = load_truth(corpus)
    tools = [
        ("guardrail", findings_guardrail),
        ("gitleaks", findings_gitleaks),
        ("ripsecrets", findings_ripsecrets),
        ("detect-secrets", findings_detect_secrets),
    ]
    rows = {}
    print(f"corpus: {corpus} ({nbytes / 1e6:.1f} MB, {sum(len(v) for v in truth.values())} secrets)")
    print(f"{'tool':<15}{'CPU MB/s':>10}{'wall s':>9}{'cpu s':>8}{'peak RSS MB':>13}"
          f"{'findings':>10}{'recall':>9}{'precision':>11}")
    for name, parse in tools:
        f = parse(out)
        t = parse_time(os.path.join(out, f"{name}.time"))
        if f is None or t is None:
            continue
        cpu = t["user"] + t["sys"]
        mbs = nbytes / 1e6 / cpu if cpu > 0 else float("inf")
        recall, precision, n = score_lines(truth, f)
        rows[name] = mbs
        print(f"{name:<15}{mbs:>10.1f}{t['wall']:>9.2f}{cpu:>8.2f}{t['rss_kb'] / 1024:>13.1f}"
              f"{n:>10}{recall:>9.4f}{precision:>11.4f}")
        if name == "guardrail":
            br, bp = score_bytes(truth, f)
            print(f"{'':<15}byte spans: recall {br:.4f}, precision {bp:.4f}")
    if "guardrail" in rows:
        for name, mbs in rows.items():
            if name != "guardrail":
                print(f"guardrail / {name}: {rows['guardrail'] / mbs:.1f}x (CPU MB/s)")


if __name__ == "__main__":
    main()
