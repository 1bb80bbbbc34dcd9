"""Typed events: dataclasses for the event JSON form (``docs/EVENTS.md``).

``Guard.evaluate`` takes these or plain dicts; ``to_dict()`` gives the JSON form every binding
shares. Fields left ``None`` are omitted, so the core's defaults apply.

>>> from guardrail import Guard
>>> from guardrail.events import Context, ToolCall
>>> event = ToolCall("db.query", {"sql": "SELECT 1"}, context=Context(agent="billing-bot"))
>>> event.to_dict()
{'type': 'tool_call', 'tool': 'db.query', 'args': {'sql': 'SELECT 1'}, 'agent': 'billing-bot'}
>>> Guard.default().evaluate(event).action == "allow"
True
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar, Dict, Optional, Union

__all__ = [
    "Approval",
    "Context",
    "Event",
    "LlmUsage",
    "ModelOutput",
    "Prompt",
    "RunEnd",
    "RunStart",
    "ToolCall",
    "ToolResult",
]


@dataclass(frozen=True)
class Context:
    """Who, where and when. ``ts`` is Unix milliseconds or RFC 3339; the clock fills it."""

    ts: Union[int, str, None] = None
    agent: Optional[str] = None
    workflow: Optional[str] = None
    run: Optional[str] = None
    env: Optional[str] = None
    principal: Optional[str] = None
    tags: Optional[Dict[str, str]] = None


@dataclass(frozen=True)
class Event:
    """Base of the typed events."""

    type: ClassVar[str] = ""

    def to_dict(self) -> dict[str, Any]:
        """The event's JSON form."""
        out: dict[str, Any] = {"type": self.type}
        context: Optional[Context] = None
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "context":
                context = value
            elif value is not None:
                out[f.name] = value
        if context is not None:
            for f in dataclasses.fields(context):
                value = getattr(context, f.name)
                if value is not None:
                    out[f.name] = value
        return out


@dataclass(frozen=True)
class Prompt(Event):
    """Text going to the model (``role``: ``user``, ``system`` or ``developer``)."""

    type: ClassVar[str] = "prompt"
    text: str
    role: str = "user"
    context: Optional[Context] = None


@dataclass(frozen=True)
class ModelOutput(Event):
    """Text the model produced."""

    type: ClassVar[str] = "model_output"
    text: str
    model: Optional[str] = None
    context: Optional[Context] = None


@dataclass(frozen=True)
class ToolCall(Event):
    """A tool call the model asked for, before it runs."""

    type: ClassVar[str] = "tool_call"
    tool: str
    args: Any = field(default_factory=dict)
    call_id: Optional[str] = None
    context: Optional[Context] = None


@dataclass(frozen=True)
class ToolResult(Event):
    """A tool's result (``status``: ``ok``, ``error`` or ``timeout``)."""

    type: ClassVar[str] = "tool_result"
    tool: str
    output: Any = None
    call_id: Optional[str] = None
    status: str = "ok"
    duration_ms: Optional[float] = None
    context: Optional[Context] = None


@dataclass(frozen=True)
class LlmUsage(Event):
    """Tokens (and cost) of one model call."""

    type: ClassVar[str] = "llm_usage"
    model: str
    provider: Optional[str] = None
    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: Optional[float] = None
    duration_ms: Optional[float] = None
    context: Optional[Context] = None


@dataclass(frozen=True)
class RunStart(Event):
    """A run begins."""

    type: ClassVar[str] = "run_start"
    context: Optional[Context] = None


@dataclass(frozen=True)
class RunEnd(Event):
    """A run ends (``outcome``: ``success``, ``failure``, ``timeout`` or ``cancelled``)."""

    type: ClassVar[str] = "run_end"
    outcome: str
    quality: Optional[float] = None
    context: Optional[Context] = None


@dataclass(frozen=True)
class Approval(Event):
    """A human's answer to a gate request."""

    type: ClassVar[str] = "approval"
    gate: str
    approver: str
    role: str
    approve: bool = True
    comment: Optional[str] = None
    context: Optional[Context] = None
