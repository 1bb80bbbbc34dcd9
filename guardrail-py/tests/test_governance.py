"""Governance through Python: the audit chain and its verification, showback, budgets with a
Python cost model, and approvals that let the exact action through once."""

from __future__ import annotations

import copy
from typing import Any, Optional

import pytest

import guardrail
from guardrail import Guard, verify_audit

POLICY = """
version: 1
rules:
  - id: schema_change
    keywords: [alter table]
    events: [tool_call]
    action: escalate
overrides:
  - match: custom.schema_change
    approver_role: db-owner
governance:
  audit:
    enabled: true
  budgets:
    reserve: {on: [prompt], usd: 0.0, tokens: 0}
    limits:
      - {id: run-cost, scope: run, hard: 1.0}
"""


def audited() -> Guard:
    return Guard.from_yaml(POLICY, agent="billing-bot", tags={"team": "payments"})


def test_audit_records_verify_and_tampering_is_located() -> None:
    g = audited()
    g.check_prompt("hello", run="r-1")
    g.check_tool_call("crm.lookup", {"order_id": "1182"}, run="r-1")
    g.record_usage("gpt-4o", input_tokens=10, cost_usd=0.01, run="r-1")
    records = g.state.take_audit_records()
    assert [r["event"] for r in records] == ["prompt", "tool_call", "llm_usage"]
    assert "args" not in records[1] and records[1]["args_sha256"]
    head = g.state.audit_head()
    assert head["seq"] == 3
    verify_audit(records)
    verify_audit(records, head=head)
    assert g.state.take_audit_records() == [], "records are drained"

    edited = copy.deepcopy(records)
    edited[1]["decision"] = "block"
    with pytest.raises(guardrail.AuditError) as info:
        verify_audit(edited)
    assert info.value.kind == "edited" and info.value.index == 1
    with pytest.raises(guardrail.AuditError) as info:
        verify_audit([records[0], records[2]])
    assert info.value.kind == "removed"
    with pytest.raises(guardrail.AuditError) as info:
        verify_audit([records[1], records[0], records[2]])
    assert info.value.index is not None
    with pytest.raises(guardrail.AuditError) as info:
        verify_audit(records[:2], head=head)
    assert info.value.kind == "truncated" and info.value.index is None
    assert isinstance(info.value, guardrail.GuardrailError)

    g.check_prompt("more", run="r-1")
    verify_audit(g.state.take_audit_records(), after=head)


def test_verify_audit_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="audit record 0"):
        verify_audit([{"seq": "zero"}])
    with pytest.raises(TypeError):
        verify_audit({"not": "a list"})
    with pytest.raises(ValueError):
        verify_audit([], head={"seq": 1})
    with pytest.raises(guardrail.GuardrailError):
        verify_audit([], head={"seq": 0, "hash": "0" * 64}, after={"seq": 0, "hash": "0" * 64})
    verify_audit([])


def test_showback_and_a_python_cost_model() -> None:
    seen: list[dict[str, Any]] = []

    def price(usage: dict[str, Any]) -> Optional[float]:
        seen.append(usage)
        return 0.002 * usage["input_tokens"] / 1000 if usage["model"] == "gpt-4o" else None

    g = Guard.from_yaml(POLICY, agent="billing-bot", tags={"team": "payments"}, cost_model=price)
    g.record_usage("gpt-4o", input_tokens=5000, output_tokens=10, run="r-9")
    g.record_usage("unknown-model", input_tokens=5, run="r-9")
    assert [u["model"] for u in seen] == ["gpt-4o", "unknown-model"]
    report = g.state.showback()
    total = report["total"]
    assert total["cost_usd"] == pytest.approx(0.01)
    assert "payments" in str(report)


def test_a_failing_cost_model_counts_as_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    reported: list[Any] = []
    monkeypatch.setattr("sys.unraisablehook", lambda u: reported.append(u.exc_value))

    def broken(usage: dict[str, Any]) -> float:
        raise RuntimeError("price table offline")

    g = Guard.from_yaml(POLICY, agent="billing-bot", cost_model=broken)
    assert g.record_usage("gpt-4o", input_tokens=10, run="r-1").allowed
    assert any("price table offline" in str(e) for e in reported)
    with pytest.raises(TypeError):
        Guard.default(cost_model=42)


def test_budget_hard_limit_blocks() -> None:
    g = audited()
    assert g.record_usage("m", cost_usd=0.9, run="r-2").allowed
    d = g.record_usage("m", cost_usd=0.5, run="r-2")
    assert d.enforced == "block"
    assert any(f.rule.startswith("governance.budget") for f in d.findings)


def test_approval_lets_the_exact_call_through_once(policy_text: str) -> None:
    g = Guard.from_yaml(policy_text, agent="billing-bot")
    ran: list[str] = []

    @g.tool("db.query")
    def query(sql: str) -> str:
        ran.append(sql)
        return "ok"

    with pytest.raises(guardrail.EscalationRequired) as info:
        query("ALTER TABLE invoices ADD note text")
    gate = info.value.gate
    assert gate is not None
    refused = g.approve(gate.id, "mallory", "intern")
    assert refused.enforced == "block"
    assert refused.findings[0].rule == "gates.wrong_role"
    accepted = g.approve(gate.id, "alice", "db-owner")
    assert accepted.allowed
    assert any(f.rule == "gates.approval_accepted" for f in accepted.findings)
    assert query("ALTER TABLE invoices ADD note text") == "ok"
    assert ran == ["ALTER TABLE invoices ADD note text"]
    with pytest.raises(guardrail.EscalationRequired):
        query("ALTER TABLE invoices ADD note text")
    with pytest.raises(guardrail.EscalationRequired):
        query("ALTER TABLE invoices ADD other text")
