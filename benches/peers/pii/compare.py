#!/usr/bin/env python3
"""Runs Presidio (pattern recognizers; and with a spaCy English model when one is installed)
and scrubadub on the PII evaluation set, reads guardrail's predictions and timings from
`ours.jsonl`, and prints per-entity precision / recall / F1 side by side, throughput, 1 KB
latency and the ratios. Called by run.sh; see docs/benchmarks/pii.md.

A prediction is a true positive when it overlaps a not-yet-matched gold span of the same
entity (peer entity names are mapped to ours; entities a peer does not have are `n/a`).
"""
import json
import statistics
import sys
import time

EVAL, OURS = sys.argv[1], sys.argv[2]
SPACY_MODEL = sys.argv[3] if len(sys.argv) > 3 else ""

docs = [json.loads(l) for l in open(EVAL, encoding="utf-8")]
texts = [d["text"] for d in docs]
ENTITIES = sorted({s["entity"] for d in docs for s in d["spans"]})

PRESIDIO_MAP = {
    "EMAIL_ADDRESS": "email", "PHONE_NUMBER": "phone", "CREDIT_CARD": "credit_card", "US_SSN": "us_ssn",
    "IBAN_CODE": "iban", "IP_ADDRESS": "ip_address", "MAC_ADDRESS": "mac_address",
    "US_PASSPORT": "us_passport", "US_DRIVER_LICENSE": "us_driver_license", "UK_NHS": "uk_nhs",
    "UK_NINO": "uk_nino", "CA_SIN": "ca_sin", "IN_AADHAAR": "in_aadhaar", "IN_PAN": "in_pan",
    "ES_NIF": "es_nif", "ES_NIE": "es_nie", "IT_FISCAL_CODE": "it_fiscal_code", "DE_TAX_ID": "de_tax_id",
    "CRYPTO": "crypto_wallet", "PERSON": "person", "LOCATION": "address",
}
SCRUBADUB_MAP = {
    "email": "email", "phone": "phone", "credit_card": "credit_card", "social_security_number": "us_ssn",
    "national_insurance_number": "uk_nino", "date_of_birth": "date_of_birth", "name": "person",
    "address": "address", "credential": "url_credentials",
}


def score(all_preds, supported):
    """all_preds: per doc, list of (entity, start, end). Returns {entity: (tp, fp, fn)}."""
    stats = {e: [0, 0, 0] for e in ENTITIES}
    for doc, preds in zip(docs, all_preds):
        gold = [[s["entity"], s["start"], s["end"], False] for s in doc["spans"]]
        for e, s, t in preds:
            if e not in stats:
                continue
            g = next((g for g in gold if not g[3] and g[0] == e and g[1] < t and s < g[2]), None)
            if g:
                g[3] = True
                stats[e][0] += 1
            else:
                stats[e][1] += 1
        for g in gold:
            if not g[3]:
                stats[g[0]][2] += 1
    return {e: v for e, v in stats.items() if e in supported}


def f1(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def timed(fn):
    """Predictions, then (MB/s, 1 KB median latency in µs) by wall clock and by CPU time (the
    machine may be shared: CPU time leaves out the time spent waiting for a core)."""
    start, cpu = time.perf_counter(), time.process_time()
    preds = [fn(t) for t in texts]
    elapsed, cpu_elapsed = time.perf_counter() - start, time.process_time() - cpu
    kb = "\n".join(texts).encode()[:1024].decode("utf-8", "ignore")
    lat = []
    cpu = time.process_time()
    for _ in range(15):
        s = time.perf_counter()
        fn(kb)
        lat.append(time.perf_counter() - s)
    cpu_lat = (time.process_time() - cpu) / 15
    total = sum(len(t.encode()) for t in texts)
    return preds, (total / elapsed / 1e6, statistics.median(lat) * 1e6, total / cpu_elapsed / 1e6, cpu_lat * 1e6)


results = {}

# --- ours ------------------------------------------------------------------------------
lines = [json.loads(l) for l in open(OURS, encoding="utf-8")]
ours_preds = [[(p["entity"], p["start"], p["end"]) for p in l["preds"]] for l in lines if "preds" in l]
timing = next(l["timing"] for l in lines if "timing" in l)
results["guardrail"] = (score(ours_preds, set(ENTITIES)), (timing["mb_per_s"], timing["latency_1kb_us"],
                        timing.get("cpu_mb_per_s") or float("nan"), timing.get("cpu_latency_1kb_us") or float("nan")))

# --- presidio --------------------------------------------------------------------------
def presidio_engine(model):
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import SpacyNlpEngine
    engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": model}])
    return AnalyzerEngine(nlp_engine=engine, supported_languages=["en"])


def presidio_runner(analyzer):
    def run(text):
        out = []
        for r in analyzer.analyze(text=text, language="en"):
            e = PRESIDIO_MAP.get(r.entity_type)
            if e:
                out.append((e, r.start, r.end))
        return out
    return run


def presidio_supported(analyzer):
    return {PRESIDIO_MAP[e] for e in analyzer.get_supported_entities("en") if e in PRESIDIO_MAP}


try:
    import spacy
    import tempfile
    blank_dir = tempfile.mkdtemp()
    spacy.blank("en").to_disk(blank_dir)  # tokenizer only: Presidio's pattern recognizers alone
    analyzer = presidio_engine(blank_dir)
    sup = presidio_supported(analyzer) - {"person", "address"}
    preds, t = timed(presidio_runner(analyzer))
    results["presidio (patterns)"] = (score(preds, sup), t)
    if SPACY_MODEL:
        analyzer = presidio_engine(SPACY_MODEL)
        preds, t = timed(presidio_runner(analyzer))
        results[f"presidio + {SPACY_MODEL}"] = (score(preds, presidio_supported(analyzer)), t)
except Exception as exc:  # a peer that fails to run is reported, not hidden
    print(f"presidio failed: {exc!r}", file=sys.stderr)

# --- scrubadub -------------------------------------------------------------------------
try:
    import scrubadub
    scrubber = scrubadub.Scrubber()

    def scrub(text):
        out = []
        for f in scrubber.iter_filth(text):
            e = SCRUBADUB_MAP.get(f.type)
            if e:
                out.append((e, f.beg, f.end))
        return out

    sup = {SCRUBADUB_MAP[d.filth_cls.type] for d in scrubber._detectors.values()
           if getattr(d, "filth_cls", None) and d.filth_cls.type in SCRUBADUB_MAP}
    preds, t = timed(scrub)
    results["scrubadub"] = (score(preds, sup), t)
except Exception as exc:
    print(f"scrubadub failed: {exc!r}", file=sys.stderr)

# --- report ----------------------------------------------------------------------------
names = list(results)
print(f"evaluation set: {len(docs)} texts, {sum(len(t.encode()) for t in texts)} bytes, "
      f"{sum(len(d['spans']) for d in docs)} gold spans\n")
print("F1 per entity (P/R in parentheses)")
print(f"{'entity':<18}" + "".join(f"{n:>34}" for n in names))
best_peer_gap = []
for e in ENTITIES:
    row = f"{e:<18}"
    peer_best = None
    for n in names:
        st = results[n][0].get(e)
        if st is None:
            row += f"{'n/a':>34}"
            continue
        p, r, f = f1(*st)
        row += f"{f'{f:.3f} ({p:.2f}/{r:.2f})':>34}"
        if n != "guardrail":
            peer_best = f if peer_best is None else max(peer_best, f)
    if peer_best is not None:
        ours = f1(*results["guardrail"][0][e])[2]
        best_peer_gap.append((e, ours, peer_best))
    print(row)
print()
print(f"{'':<18}" + "".join(f"{n:>34}" for n in names))
labels = ["MB/s (wall)", "1 KB µs (wall, median)", "MB/s (CPU)", "1 KB µs (CPU)"]
for i, label in enumerate(labels):
    print(f"{label:<18}" + "".join(f"{results[n][1][i]:>34.3f}" for n in names))
ours = results["guardrail"][1]
for n in names[1:]:
    t = results[n][1]
    print(f"guardrail vs {n}: wall {ours[0] / t[0]:.0f}x throughput, {t[1] / ours[1]:.0f}x lower 1 KB latency; "
          f"CPU {ours[2] / t[2]:.0f}x throughput, {t[3] / ours[3]:.0f}x lower 1 KB latency")
below = [(e, o, b) for e, o, b in best_peer_gap if o < b]
print("entities where a peer's F1 beats ours:", ", ".join(f"{e} ({o:.3f} < {b:.3f})" for e, o, b in below) or "none")
