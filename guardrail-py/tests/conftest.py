"""Shared fixtures: a policy with one rule per action, written for these tests."""

from __future__ import annotations

import pytest

from guardrail import Guard

POLICY = r"""
version: 1
name: python-tests
rules:
  - id: internal_hosts
    keywords: [.corp.internal]
    regex: '\b[a-z0-9-]+(\.[a-z0-9-]+)*\.corp\.internal\b'
    action: redact
    severity: medium
    message: internal host name
  - id: schema_change
    keywords: [alter table, drop table]
    events: [tool_call]
    action: escalate
    severity: high
    message: schema change needs approval
  - id: exfiltration
    keywords: [ignore previous instructions]
    action: block
    severity: critical
    category: injection
    message: instructions aimed at the agent
overrides:
  - match: custom.schema_change
    approver_role: db-owner
"""


@pytest.fixture
def policy_text() -> str:
    return POLICY


@pytest.fixture
def guard() -> Guard:
    return Guard.from_yaml(POLICY, agent="billing-bot", env="test")
