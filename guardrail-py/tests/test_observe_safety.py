"""The observe layer's exports and host safety classifiers through Python."""

from __future__ import annotations

import json
from typing import Any

import pytest

from guardrail import Guard


def test_exports_after_a_run() -> None:
    g = Guard.default(agent="billing-bot", workflow="refunds")
    with g.start_run("r-1") as run:
        run.check_prompt("refund order 1182")
        run.record_usage("gpt-4o", input_tokens=1200, output_tokens=80, duration_ms=900.0)
        run.check_tool_call("crm.lookup", {"order_id": "1182"}, call_id="c-1")
        run.check_tool_result("crm.lookup", {"status": "stuck"}, call_id="c-1", duration_ms=40.0)
    prom = g.prometheus_text()
    assert 'guardrail_llm_calls_total{workflow="refunds"} 1' in prom
    metrics = json.loads(g.otlp_metrics())
    assert "resourceMetrics" in metrics
    first = g.otlp_traces()
    assert first["spans"] > 0 and first["json"] is not None
    body = json.loads(first["json"])
    assert "resourceSpans" in body
    again = g.otlp_traces(after=first["next"])
    assert again["spans"] == 0 and again["json"] is None
    view = g.operations_view()
    assert view["events"] >= 5
    with pytest.raises(OverflowError):
        g.otlp_traces(after=-1)


def test_safety_classifier_scores_become_findings() -> None:
    calls: list[tuple[str, str]] = []

    def moderation(text: str, channel: str) -> dict[str, float]:
        calls.append((text, channel))
        return {"harassment": 0.97} if "idiot" in text else {"harassment": 0.01}

    policy = "version: 1\ncontent:\n  safety:\n    categories:\n      harassment: {action: block, threshold: 0.8}\n"
    g = Guard.from_yaml(policy, classifiers=[moderation])
    assert g.check_output("have a nice day").allowed
    d = g.check_output("you idiot")
    assert d.enforced == "block"
    assert any(f.rule == "safety.harassment" for f in d.findings)
    assert ("you idiot", "model_output") in calls


def test_classifier_pairs_and_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    reported: list[Any] = []
    monkeypatch.setattr("sys.unraisablehook", lambda u: reported.append(u.exc_value))

    def pairs(text: str, channel: str) -> list[tuple[str, float]]:
        # Scores outside 0..1 are a broken model, not a verdict: ignored.
        return [("custom_label", 0.9), ("too_big", 7.0), ("not_a_number", float("nan"))]

    def broken(text: str, channel: str) -> dict[str, float]:
        raise RuntimeError("model offline")

    g = Guard.default(classifiers=[pairs, broken])
    d = g.check_prompt("hello")
    assert any(f.rule == "safety.custom_label" for f in d.findings), d.findings
    assert not any(f.rule in ("safety.too_big", "safety.not_a_number") for f in d.findings)
    assert any("model offline" in str(e) for e in reported)
    with pytest.raises(TypeError):
        Guard.default(classifiers=[42])
