"""Presidio's analyzer on the benchmark input (run by run.sh in its own venv).

Presidio's AnalyzerEngine normally loads a large spaCy model downloaded from outside the
package registry; here it runs with a blank English spaCy pipeline (tokenizer only), so it
uses its pattern recognizers (email, credit card, IP, phone) without NER: the equivalent of
guardrail's regex PII rules, and the fastest configuration Presidio offers. Prints JSON.
"""

from __future__ import annotations

import json
import sys
import tempfile
import timeit

import spacy
import tldextract

# The email recognizer calls tldextract, which would fetch the public suffix list over the
# network; use the snapshot the package ships.
tldextract.extract = tldextract.TLDExtract(suffix_list_urls=()).__call__

from presidio_analyzer import AnalyzerEngine  # noqa: E402
from presidio_analyzer.nlp_engine import NlpEngineProvider  # noqa: E402

ENTITIES = ["EMAIL_ADDRESS", "CREDIT_CARD", "IP_ADDRESS", "PHONE_NUMBER"]


def main() -> None:
    text = open(sys.argv[1], encoding="utf-8").read()
    model_dir = tempfile.mkdtemp()
    spacy.blank("en").to_disk(model_dir)
    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": model_dir}],
        }
    )
    engine = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])

    def analyze() -> list:
        return engine.analyze(text=text, language="en", entities=ENTITIES)

    found = sorted({r.entity_type for r in analyze()})
    timer = timeit.Timer(analyze)
    number = 20
    best = min(timer.repeat(repeat=5, number=number)) / number
    print(json.dumps({"per_call_us": best * 1e6, "entities": found}))


if __name__ == "__main__":
    main()
