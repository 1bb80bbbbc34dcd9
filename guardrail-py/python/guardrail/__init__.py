r"""guardrail: guardrails for autonomous AI agents.

One Rust engine (five layers: constraints, content, observe, gates, governance) that looks at
what an agent does and returns one decision: ``allow < redact < escalate < block``.

>>> from guardrail import Guard
>>> guard = Guard.from_yaml('''
... version: 1
... rules:
...   - id: internal_hosts
...     keywords: [.corp.internal]
...     regex: '\\b[a-z0-9-]+\\.corp\\.internal\\b'
...     action: redact
... ''')
>>> d = guard.check_output("connect to db7.corp.internal")
>>> d.action == "redact"
True
>>> d.text
'connect to [REDACTED:internal_hosts]'
"""

from __future__ import annotations

from . import events
from ._enums import Action, Layer, Severity
from ._guard import Guard, Run, current_run
from ._guardrail import (
    AuditError,
    Decision,
    EscalationRequired,
    Evaluator,
    EventError,
    Finding,
    Gate,
    GuardrailBlocked,
    GuardrailError,
    Policy,
    PolicyError,
    PolicyIssue,
    State,
    TextStream,
    Vault,
    __version__,
    verify_audit,
)

__all__ = [
    "Action",
    "AuditError",
    "Decision",
    "EscalationRequired",
    "Evaluator",
    "EventError",
    "Finding",
    "Gate",
    "Guard",
    "GuardrailBlocked",
    "GuardrailError",
    "Layer",
    "Policy",
    "PolicyError",
    "PolicyIssue",
    "Run",
    "Severity",
    "State",
    "TextStream",
    "Vault",
    "__version__",
    "current_run",
    "events",
    "verify_audit",
]
