"""Python classifiers registered as host evaluators."""

from __future__ import annotations

from typing import Any

import pytest

from guardrail import Evaluator, Guard


def toxicity(event: dict[str, Any]) -> list[dict[str, Any]]:
    text = event.get("text", "")
    if "idiot" in text:
        start = text.encode().index(b"idiot")
        return [
            {
                "rule": "safety.insult",
                "action": "block",
                "severity": "high",
                "category": "safety",
                "message": "insult",
                "path": "/text",
                "span": {"start": start, "end": start + 5},
            }
        ]
    return []


def test_classifier_findings_drive_the_decision() -> None:
    g = Guard.default(evaluators=[Evaluator(toxicity, name="toxicity", layer="content")])
    assert g.check_output("you are kind").allowed
    text = "ça — you idiot"
    d = g.check_output(text)
    assert d.enforced == "block"
    (f,) = d.findings
    assert (f.rule, f.category, f.severity, f.layer) == ("safety.insult", "safety", "high", "content")
    assert f.start is not None and text[f.start : f.end] == "idiot"


def test_plain_callables_get_defaults() -> None:
    g = Guard.default(evaluators=[lambda e: [{"rule": "x.flag", "action": "escalate"}]])
    d = g.check_prompt("anything")
    assert d.action == "escalate"
    (f,) = d.findings
    assert (f.category, f.severity, f.message, f.confidence) == ("classifier", "medium", "x.flag", 1.0)
    assert d.gate is not None


def test_overrides_apply_to_classifier_findings() -> None:
    policy = "version: 1\noverrides:\n  - category: safety\n    action: redact\n"
    g = Guard.from_yaml(policy, evaluators=[toxicity])
    d = g.check_output("you idiot")
    assert d.action == "redact"
    assert d.text == "you [REDACTED:insult]"


def failing(event: dict[str, Any]) -> None:
    raise RuntimeError("model unavailable")


@pytest.mark.parametrize(
    "bad",
    [
        failing,
        lambda e: 42,
        lambda e: ["not a dict"],
        lambda e: [{"action": "block"}],
        lambda e: [{"rule": "r", "action": "explode"}],
    ],
)
def test_evaluator_errors_fail_closed_by_default(bad: Any) -> None:
    d = Guard.default(evaluators=[bad]).check_prompt("hi")
    assert d.enforced == "block"
    assert d.findings[-1].rule == "guardrail.internal_error"


def test_fail_open_layers_let_errors_through() -> None:
    g = Guard.from_yaml("version: 1\nfail:\n  content: open\n", evaluators=[failing])
    d = g.check_prompt("hi")
    assert d.enforced == "allow"
    assert "RuntimeError: model unavailable" in d.findings[0].message
    g = Guard.from_yaml(
        "version: 1\nfail:\n  content: open\n",
        evaluators=[Evaluator(failing, layer="governance")],
    )
    assert g.check_prompt("hi").enforced == "block", "the governance layer still fails closed"


def test_evaluator_sees_the_json_form() -> None:
    seen: list[dict[str, Any]] = []
    g = Guard.default(evaluators=[lambda e: seen.append(e)], agent="bot")
    g.check_tool_call("db.query", {"sql": "SELECT 1"}, call_id="c-1", run="r-1")
    (event,) = seen
    assert event["type"] == "tool_call" and event["tool"] == "db.query"
    assert event["args"] == {"sql": "SELECT 1"}
    assert (event["agent"], event["run"], event["call_id"]) == ("bot", "r-1", "c-1")
    e = Evaluator(toxicity)
    assert (e.name, e.layer) == ("toxicity", "content")
