"""OpenAI Agents SDK integration: guardrail decisions as the SDK's guardrails.

- input and output guardrails: a ``block`` or ``escalate`` decision trips the wire
  (``InputGuardrailTripwireTriggered`` / ``OutputGuardrailTripwireTriggered``);
- tool input and output guardrails: a ``block`` halts the run
  (``ToolInputGuardrailTripwireTriggered``) or, with ``on_block="reject"``, replaces the call
  or result by a message to the model; a ``redact`` of a tool's result sends the redacted
  result to the model instead;
- approvals: an ``escalate`` decision on a tool call becomes the SDK's human-in-the-loop
  interruption (``needs_approval``), and :meth:`AgentGuard.approve` delivers the human's
  answer to the guard's gate *and* to the SDK's run state.

>>> from agents import Agent, function_tool
>>> from guardrail import Guard
>>> from guardrail.integrations.openai_agents import AgentGuard
>>> ag = AgentGuard(Guard.default())
>>> @function_tool
... def lookup(order_id: str) -> str:
...     return "order " + order_id
>>> agent = Agent(name="billing", tools=[ag.protect(lookup)],
...               input_guardrails=[ag.input_guardrail], output_guardrails=[ag.output_guardrail])

Requires ``pip install guardrail[openai-agents]``.
"""

from __future__ import annotations

import copy
import json
import threading
from typing import Any, Literal, Optional

from agents import (
    Agent,
    FunctionTool,
    GuardrailFunctionOutput,
    InputGuardrail,
    OutputGuardrail,
    RunContextWrapper,
    ToolGuardrailFunctionOutput,
    ToolInputGuardrail,
    ToolInputGuardrailData,
    ToolOutputGuardrail,
    ToolOutputGuardrailData,
)
from agents.items import ToolApprovalItem
from agents.run_state import RunState

from .._enums import Action
from .._guard import Guard
from .._guardrail import Decision, Gate

__all__ = ["AgentGuard"]

_STOP = (Action.BLOCK, Action.ESCALATE)


def _reasons(decision: Decision) -> str:
    return "; ".join(
        f"{f.rule}: {f.message}" for f in decision.findings if f.action == decision.enforced
    )


def _input_texts(value: Any) -> list[tuple[str, str]]:
    """(role, text) pairs of an agent's input: a str or a list of input items."""
    if isinstance(value, str):
        return [("user", value)]
    out: list[tuple[str, str]] = []
    for item in value or []:
        if not isinstance(item, dict):
            item = getattr(item, "model_dump", lambda: {})()
        role = item.get("role")
        if role not in ("user", "system", "developer"):
            continue
        content = item.get("content")
        if isinstance(content, str):
            out.append((role, content))
        elif isinstance(content, list):
            for part in content:
                text = part.get("text") if isinstance(part, dict) else getattr(part, "text", None)
                if isinstance(text, str):
                    out.append((role, text))
    return out


def _worst(decisions: list[Decision]) -> Optional[Decision]:
    worst: Optional[Decision] = None
    for d in decisions:
        if worst is None or d.enforced > worst.enforced:
            worst = d
    return worst


class AgentGuard:
    """Guardrails, tool guardrails and approvals for ``openai-agents`` from one ``Guard``.

    ``context`` keywords (``workflow``, ``env``, ``run``, ...) go on every event; the agent's
    name is sent as ``agent``.
    """

    def __init__(
        self,
        guard: Guard,
        *,
        on_block: Literal["raise", "reject"] = "raise",
        **context: Any,
    ) -> None:
        self.guard = guard
        self.on_block = on_block
        self.context = context
        self.gates: dict[str, Gate] = {}
        # Decisions made by `needs_approval`, reused by the tool input guardrail for the same
        # call so that one call is one tool_call event.
        self._decided: dict[str, Decision] = {}
        self._lock = threading.Lock()
        self.input_guardrail: InputGuardrail[Any] = InputGuardrail(
            guardrail_function=self._check_input, name="guardrail_input"
        )
        self.output_guardrail: OutputGuardrail[Any] = OutputGuardrail(
            guardrail_function=self._check_output, name="guardrail_output"
        )
        self.tool_input_guardrail: ToolInputGuardrail[Any] = ToolInputGuardrail(
            guardrail_function=self._check_tool_input, name="guardrail_tool_input"
        )
        self.tool_output_guardrail: ToolOutputGuardrail[Any] = ToolOutputGuardrail(
            guardrail_function=self._check_tool_output, name="guardrail_tool_output"
        )

    def _ctx(self, agent: Any) -> dict[str, Any]:
        ctx = {"agent": getattr(agent, "name", None), **self.context}
        return {k: v for k, v in ctx.items() if v is not None}

    def _tool_ctx(self) -> dict[str, Any]:
        # `needs_approval` is not told the agent, so tool calls carry the AgentGuard's own
        # context in both places: the re-sent call after an approval must match the gate's.
        return {k: v for k, v in self.context.items() if v is not None}

    # -- agent guardrails ---------------------------------------------------------------

    async def _check_input(
        self, ctx: RunContextWrapper[Any], agent: Agent[Any], value: Any
    ) -> GuardrailFunctionOutput:
        decisions = [
            await self.guard.acheck_prompt(text, role=role, **self._ctx(agent))
            for role, text in _input_texts(value)
        ]
        worst = _worst(decisions)
        return GuardrailFunctionOutput(
            output_info=worst,
            tripwire_triggered=worst is not None and worst.enforced in _STOP,
        )

    async def _check_output(
        self, ctx: RunContextWrapper[Any], agent: Agent[Any], output: Any
    ) -> GuardrailFunctionOutput:
        text = output if isinstance(output, str) else json.dumps(_dump(output), default=str)
        d = await self.guard.acheck_output(text, **self._ctx(agent))
        return GuardrailFunctionOutput(output_info=d, tripwire_triggered=d.enforced in _STOP)

    # -- tool guardrails ----------------------------------------------------------------

    def _stop(self, decision: Decision, what: str) -> ToolGuardrailFunctionOutput:
        if self.on_block == "reject":
            return ToolGuardrailFunctionOutput.reject_content(
                f"{what} refused by guardrail: {_reasons(decision)}", output_info=decision
            )
        return ToolGuardrailFunctionOutput.raise_exception(output_info=decision)

    async def _check_tool_input(self, data: ToolInputGuardrailData) -> ToolGuardrailFunctionOutput:
        tc = data.context
        with self._lock:
            d = self._decided.pop(tc.tool_call_id, None)
        if d is None:
            d = await self.guard.acheck_tool_call(
                tc.tool_name, _parse(tc.tool_arguments), call_id=tc.tool_call_id, **self._tool_ctx()
            )
        if d.enforced == Action.BLOCK:
            return self._stop(d, "tool call")
        if d.enforced == Action.ESCALATE:
            gate = d.gate
            return ToolGuardrailFunctionOutput.reject_content(
                f"tool call needs approval (gate {gate.id if gate else '?'}): {_reasons(d)}",
                output_info=d,
            )
        return ToolGuardrailFunctionOutput.allow(output_info=d)

    async def _check_tool_output(
        self, data: ToolOutputGuardrailData
    ) -> ToolGuardrailFunctionOutput:
        tc = data.context
        d = await self.guard.acheck_tool_result(
            tc.tool_name, _dump(data.output), call_id=tc.tool_call_id, **self._tool_ctx()
        )
        if d.enforced in _STOP:
            return self._stop(d, "tool result")
        if d.enforced == Action.REDACT:
            redacted = d.text if d.text is not None else json.dumps(d.args)
            return ToolGuardrailFunctionOutput.reject_content(redacted, output_info=d)
        return ToolGuardrailFunctionOutput.allow(output_info=d)

    # -- approvals ----------------------------------------------------------------------

    def needs_approval(self, tool_name: str) -> Any:
        """A ``needs_approval`` callable for the tool ``tool_name``: the call is interrupted
        for a human when the guard escalates it; the gate is kept under the call id."""

        async def check(ctx: RunContextWrapper[Any], params: dict[str, Any], call_id: str) -> bool:
            d = await self.guard.acheck_tool_call(tool_name, params, call_id=call_id, **self._tool_ctx())
            with self._lock:
                self._decided[call_id] = d
                if d.enforced == Action.ESCALATE and d.gate is not None:
                    self.gates[call_id] = d.gate
                    return True
            return False

        return check

    def protect(self, tool: FunctionTool) -> FunctionTool:
        """A copy of a function tool with the tool guardrails and the gate-backed approval."""
        tool = copy.copy(tool)
        tool.tool_input_guardrails = [*(tool.tool_input_guardrails or []), self.tool_input_guardrail]
        tool.tool_output_guardrails = [
            *(tool.tool_output_guardrails or []),
            self.tool_output_guardrail,
        ]
        tool.needs_approval = self.needs_approval(tool.name)
        return tool

    def approve(
        self,
        state: RunState[Any, Any],
        item: ToolApprovalItem,
        *,
        approver: str,
        role: str,
        approve: bool = True,
        comment: Optional[str] = None,
    ) -> Decision:
        """Delivers a human's answer for an interrupted tool call to the guard's gate, then to
        the SDK's run state: a denial rejects the call; an approval the guard accepts
        (``gates.approval_accepted``) approves it, and the re-sent call then passes the guard
        once. An answer the guard refuses (wrong role, self-approval, expired) or that only
        counts toward a quorum leaves the call waiting; the decision says why."""
        call_id = _call_id(item)
        with self._lock:
            gate = self.gates.get(call_id)
        if gate is None:
            raise KeyError(f"no guardrail gate for tool call `{call_id}`")
        d = self.guard.approve(gate.id, approver, role, approve=approve, comment=comment, **self._tool_ctx())
        accepted = any(f.rule == "gates.approval_accepted" for f in d.findings)
        if not approve or accepted:
            with self._lock:
                self.gates.pop(call_id, None)
                self._decided.pop(call_id, None)
            if accepted:
                state.approve(item)
            else:
                state.reject(item)
        return d


def _call_id(item: ToolApprovalItem) -> str:
    raw = item.raw_item
    value = raw.get("call_id") if isinstance(raw, dict) else getattr(raw, "call_id", None)
    return str(value)


def _parse(arguments: str) -> Any:
    try:
        return json.loads(arguments) if arguments else {}
    except ValueError:
        return arguments


def _dump(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    if isinstance(value, (str, int, float, bool, type(None), list, dict)):
        return value
    return str(value)
