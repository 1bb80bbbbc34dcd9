"""Bad input at the boundary: clear exceptions, never a crash."""

from __future__ import annotations

from typing import Any

import pytest

import guardrail
from guardrail import Guard, Policy, State


@pytest.mark.parametrize("event", [None, "a string", 42, ["type", "prompt"], b"{}", object()])
def test_events_must_be_dicts(guard: Guard, event: Any) -> None:
    with pytest.raises(TypeError, match="must be a dict"):
        guard.evaluate(event)


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"text": "x"}, "missing field `type`"),
        ({"type": "promt", "text": "x"}, "did you mean `prompt`"),
        ({"type": "prompt"}, "text"),
        ({"type": "prompt", "text": 5}, "invalid type"),
        ({"type": "prompt", "text": "x", "ts": "yesterday"}, "RFC 3339"),
        ({"type": "tool_call", "tool": "", "args": {}}, "`tool` must not be empty"),
        ({"type": "run_end", "outcome": "success", "quality": 7}, "quality"),
        ({"type": "llm_usage", "model": "m", "input_tokens": -1}, "invalid value"),
        ({"type": "llm_usage", "model": "m", "cost_usd": -1.0}, "non-negative"),
    ],
)
def test_invalid_events_raise_event_error(guard: Guard, event: dict[str, Any], message: str) -> None:
    with pytest.raises(guardrail.EventError, match=message):
        guard.evaluate(event)


def test_keyword_checks_are_validated_like_dict_events(guard: Guard) -> None:
    with pytest.raises(guardrail.EventError, match="`tool` must not be empty"):
        guard.check_tool_call("", {})
    with pytest.raises(guardrail.EventError, match="`tool` must not be empty"):
        guard.check_tool_result("", "x")
    with pytest.raises(guardrail.EventError, match="duration_ms"):
        guard.check_tool_result("t", "x", duration_ms=-3.0)
    with pytest.raises(guardrail.EventError, match="cost_usd"):
        guard.record_usage("m", cost_usd=-0.5)


def test_event_error_is_a_guardrail_error() -> None:
    assert issubclass(guardrail.EventError, guardrail.GuardrailError)
    assert issubclass(guardrail.PolicyError, guardrail.GuardrailError)
    assert issubclass(guardrail.GuardrailBlocked, guardrail.GuardrailError)
    assert issubclass(guardrail.EscalationRequired, guardrail.GuardrailError)


def test_invalid_utf8_bytes_and_surrogates(guard: Guard) -> None:
    with pytest.raises(UnicodeDecodeError):
        guard.check_prompt(b"caf\xe9")
    assert guard.check_prompt("café".encode()).allowed, "valid UTF-8 bytes are accepted"
    with pytest.raises(UnicodeEncodeError):
        guard.check_prompt("lone \ud800 surrogate")
    with pytest.raises(UnicodeEncodeError):
        guard.check_tool_call("t", {"k": "\udfff"})
    with pytest.raises(UnicodeDecodeError):
        Guard.from_yaml(b"version: 1\n\xff")


@pytest.mark.parametrize(
    "call",
    [
        lambda g: g.check_prompt(5),
        lambda g: g.check_prompt(None),
        lambda g: g.check_output(["a"]),
        lambda g: g.check_tool_call(5, {}),
        lambda g: g.check_tool_call("t", {1: "non-str key"}),
        lambda g: g.check_tool_call("t", {"k": object()}),
        lambda g: g.check_tool_call("t", {"k": {1, 2}}),
        lambda g: g.check_tool_result("t", b"bytes"),
        lambda g: g.check_prompt("x", tags={"team": 5}),
        lambda g: g.check_prompt("x", agent=5),
        lambda g: g.check_prompt("x", ts=1.5),
        lambda g: g.check_prompt("x", bogus="keyword"),
        lambda g: g.record_usage("m", input_tokens=-5),
        lambda g: g.record_usage("m", input_tokens="many"),
        lambda g: g.scan(3),
    ],
)
def test_wrong_types_raise_type_errors(guard: Guard, call: Any) -> None:
    with pytest.raises((TypeError, OverflowError)):
        call(guard)


@pytest.mark.parametrize(
    "call",
    [
        lambda g: g.check_prompt("x", role="admin"),
        lambda g: g.check_tool_result("t", "x", status="fine"),
        lambda g: g.scan("x", channel="email"),
        lambda g: g.redact("x", channel="nowhere"),
        lambda g: g.check_tool_call("t", {"n": float("nan")}),
        lambda g: g.check_tool_call("t", {"n": float("inf")}),
        lambda g: g.check_tool_call("t", {"n": 2**70}),
        lambda g: g.check_tool_result("t", "x", duration_ms=float("nan")),
        lambda g: g.record_usage("m", cost_usd=float("inf")),
    ],
)
def test_wrong_values_raise_value_errors(guard: Guard, call: Any) -> None:
    with pytest.raises(ValueError):
        call(guard)


def test_deep_and_cyclic_structures_are_refused(guard: Guard) -> None:
    deep: Any = "leaf"
    for _ in range(10_000):
        deep = {"k": deep}
    with pytest.raises(ValueError, match="nested deeper"):
        guard.check_tool_call("t", deep)
    cyclic: dict[str, Any] = {}
    cyclic["self"] = cyclic
    with pytest.raises(ValueError, match="nested deeper"):
        guard.check_tool_call("t", cyclic)
    looped: list[Any] = []
    looped.append(looped)
    with pytest.raises(ValueError):
        guard.evaluate({"type": "tool_result", "tool": "t", "output": looped})


def test_huge_strings_are_checked_or_blocked_unread() -> None:
    large = "a" * (3 * 1024 * 1024) + " db.corp.internal"
    g = Guard.from_yaml(
        "version: 1\nrules:\n  - id: host\n    keywords: [corp.internal]\n    action: redact\n"
    )
    d = g.check_output(large)
    assert d.action == "redact"
    assert d.text is not None and d.text.endswith("[REDACTED:host]")
    huge = "a" * (64 * 1024 * 1024)
    for guard in (g, Guard.default()):
        d = guard.check_prompt(huge)
        assert d.enforced == "block"
        assert d.findings[0].rule == "limits.prompt_size"


@pytest.mark.parametrize(
    ("text", "path", "line"),
    [
        ("version: 1\nmdoe: shadow\n", "mdoe", 2),
        ("version: 1\nrules:\n  - id: a\n    keywrds: [x]\n", "rules[0].keywrds", 4),
        ("version: 2\n", "version", 1),
    ],
)
def test_policy_errors_carry_issues(text: str, path: str, line: int) -> None:
    with pytest.raises(guardrail.PolicyError) as info:
        Guard.from_yaml(text)
    issue = info.value.issues[0]
    assert issue.path == path
    assert issue.line == line
    assert issue.message
    assert path in str(issue) or path in str(info.value)


def test_policy_error_hints() -> None:
    with pytest.raises(guardrail.PolicyError) as info:
        Policy.from_yaml("version: 1\nmdoe: shadow\n")
    assert info.value.issues[0].hint == "did you mean `mode`?"
    assert "PolicyIssue(" in repr(info.value.issues[0])


@pytest.mark.parametrize(
    "text",
    [
        "version: 1\nrules: [\n",
        "{{{{",
        ": : :",
        "version: 1\n\tmode: shadow\n",
        "- 1\n- 2\n",
        "",
        "version: 1\nrules:\n  - id: bad\n    regex: '('\n",
    ],
)
def test_malformed_yaml_is_a_policy_error(text: str) -> None:
    with pytest.raises(guardrail.PolicyError) as info:
        Guard.from_yaml(text)
    assert info.value.issues, "every policy error lists at least one issue"


def test_policy_documents_must_be_dicts() -> None:
    with pytest.raises(TypeError):
        Guard.from_dict(["version", 1])  # type: ignore[arg-type]
    with pytest.raises(guardrail.PolicyError):
        Guard.from_dict({"version": 1, "mode": "sideways"})
    with pytest.raises(TypeError):
        Guard.from_yaml(42)  # type: ignore[arg-type]
    with pytest.raises(OSError):
        Guard.from_file("/nonexistent/policy.yaml")


def test_bad_state_snapshots() -> None:
    with pytest.raises(guardrail.GuardrailError, match="invalid state snapshot"):
        State.restore("{not json")
    with pytest.raises(guardrail.GuardrailError, match="invalid state snapshot"):
        State.restore({"version": 1, "bogus": True})
    with pytest.raises(TypeError):
        State.restore(12)  # type: ignore[arg-type]


def test_bad_evaluator_arguments() -> None:
    with pytest.raises(TypeError):
        Guard.default(evaluators=["not callable"])
    with pytest.raises(TypeError):
        Guard.default(evaluators={"a": 1})
    with pytest.raises(ValueError, match="unknown layer"):
        guardrail.Evaluator(lambda e: None, layer="sideways")
    with pytest.raises(TypeError):
        Guard.default(hash_salt=5)
