"""LangChain integration (langchain-core): guard a chat model and its tools.

Two pieces, usable alone or together:

- :class:`GuardrailCallbackHandler` observes a run and *stops* it: prompts, model output,
  tool calls and tool results are checked, and a ``block`` or ``escalate`` raises
  ``GuardrailBlocked`` / ``EscalationRequired`` out of ``invoke`` (callbacks cannot change
  what they see);
- :func:`guard_chat_model` (prompts and the model's text) and :func:`guard_tool` (a tool's
  arguments and result) wrap a model and a tool so that they also *redact*.

Each event is checked once: the handler skips the runs the wrappers already check (they are
tagged ``guardrail-checked``), so the three can be combined.

>>> from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
>>> from langchain_core.messages import AIMessage
>>> from guardrail import Guard
>>> guard = Guard.default()
>>> model = guard_chat_model(GenericFakeChatModel(messages=iter([AIMessage("hi")])), guard)
>>> model.invoke("hello").content
'hi'

Requires ``pip install guardrail[langchain]``.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any, Optional
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    convert_to_messages,
)
from langchain_core.outputs import ChatGeneration, LLMResult
from langchain_core.prompt_values import PromptValue
from langchain_core.runnables import Runnable, RunnableLambda
from langchain_core.tools import BaseTool, StructuredTool

from .._enums import Action
from .._guard import Guard, current_run
from .._guardrail import Decision

__all__ = ["CHECKED_TAG", "GuardrailCallbackHandler", "guard_chat_model", "guard_tool"]

CHECKED_TAG = "guardrail-checked"
"""The tag of runs a wrapper checks; the callback handler skips them and their children."""


def _context(context: dict[str, Any]) -> dict[str, Any]:
    run = current_run()
    merged = dict(run.context) if run is not None else {}
    merged.update(context)
    return merged


def _content_text(message: BaseMessage) -> Optional[str]:
    content = message.content
    if isinstance(content, str):
        return content
    texts = [
        part.get("text", "") if isinstance(part, dict) else str(part)
        for part in content
        if isinstance(part, str) or (isinstance(part, dict) and part.get("type") == "text")
    ]
    return "\n".join(texts) if texts else None


def _role(message: BaseMessage) -> Optional[str]:
    if isinstance(message, HumanMessage):
        return "user"
    if isinstance(message, SystemMessage):
        return "system"
    return None


class GuardrailCallbackHandler(BaseCallbackHandler):
    """Checks every prompt, model output, tool call and tool result of a LangChain run and
    raises when the guard blocks or escalates. ``decisions`` keeps every decision.

    >>> handler = GuardrailCallbackHandler(Guard.default(), agent="billing-bot")
    >>> # chain.invoke(..., config={"callbacks": [handler]})
    """

    raise_error = True

    def __init__(self, guard: Guard, **context: Any) -> None:
        super().__init__()
        self.guard = guard
        self.context = context
        self.decisions: list[Decision] = []
        self._tools: dict[UUID, tuple[str, Optional[str], float]] = {}
        self._skip: set[UUID] = set()
        self._lock = threading.Lock()

    def _skipped(self, run_id: UUID, parent_run_id: Optional[UUID], tags: Optional[list[str]]) -> bool:
        """Whether a wrapper already checks this run (or its parent); remembers it if so."""
        with self._lock:
            if CHECKED_TAG in (tags or []) or (parent_run_id is not None and parent_run_id in self._skip):
                self._skip.add(run_id)
                return True
        return False

    def _done(self, run_id: UUID) -> bool:
        """Forgets a skipped run; True if it was one."""
        with self._lock:
            if run_id in self._skip:
                self._skip.discard(run_id)
                return True
        return False

    def _keep(self, decision: Decision) -> None:
        with self._lock:
            self.decisions.append(decision)
        decision.raise_for_action()

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        parent_run_id: Optional[UUID] = None,
        tags: Optional[list[str]] = None,
        **kwargs: Any,
    ) -> None:
        if self._skipped(run_id, parent_run_id, tags):
            return
        for batch in messages:
            for message in batch:
                role, text = _role(message), _content_text(message)
                if role is not None and text is not None:
                    self._keep(self.guard.check_prompt(text, role=role, **_context(self.context)))

    def on_llm_start(
        self,
        serialized: dict[str, Any],
        prompts: list[str],
        *,
        run_id: UUID,
        parent_run_id: Optional[UUID] = None,
        tags: Optional[list[str]] = None,
        **kwargs: Any,
    ) -> None:
        if self._skipped(run_id, parent_run_id, tags):
            return
        for prompt in prompts:
            self._keep(self.guard.check_prompt(prompt, **_context(self.context)))

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        if self._done(run_id):
            return
        for generations in response.generations:
            for gen in generations:
                text = gen.message.content if isinstance(gen, ChatGeneration) else gen.text
                model = (response.llm_output or {}).get("model_name")
                if isinstance(text, str) and text:
                    self._keep(
                        self.guard.check_output(text, model=model, **_context(self.context))
                    )

    def on_tool_start(
        self,
        serialized: dict[str, Any],
        input_str: str,
        *,
        run_id: UUID,
        parent_run_id: Optional[UUID] = None,
        tags: Optional[list[str]] = None,
        inputs: Optional[dict[str, Any]] = None,
        **kwargs: Any,
    ) -> None:
        if self._skipped(run_id, parent_run_id, tags):
            return
        name = str((serialized or {}).get("name") or "tool")
        call_id = kwargs.get("tool_call_id")
        args: Any = inputs if inputs is not None else _maybe_json(input_str)
        with self._lock:
            self._tools[run_id] = (name, call_id, time.perf_counter())
        self._keep(
            self.guard.check_tool_call(name, args, call_id=call_id, **_context(self.context))
        )

    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        if self._done(run_id):
            return
        self._tool_done(run_id, output, "ok")

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        if self._done(run_id):
            return
        with self._lock:
            known = run_id in self._tools
        if known:
            d = self._result(run_id, repr(error), "error")
            with self._lock:
                self.decisions.append(d)

    def _result(self, run_id: UUID, output: Any, status: str) -> Decision:
        with self._lock:
            name, call_id, started = self._tools.pop(run_id, ("tool", None, time.perf_counter()))
        if isinstance(output, ToolMessage):
            output = output.content
        ms = (time.perf_counter() - started) * 1000
        return self.guard.check_tool_result(
            name,
            _plain(output),
            call_id=call_id,
            status=status,
            duration_ms=ms,
            **_context(self.context),
        )

    def _tool_done(self, run_id: UUID, output: Any, status: str) -> None:
        self._keep(self._result(run_id, output, status))


def _maybe_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return {"input": text}


def _plain(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool, type(None), list, dict)):
        return value
    return str(value)


def _to_messages(value: Any) -> list[BaseMessage]:
    if isinstance(value, str):
        return [HumanMessage(value)]
    if isinstance(value, PromptValue):
        return value.to_messages()
    return list(convert_to_messages(value))


def guard_chat_model(model: Runnable[Any, Any], guard: Guard, **context: Any) -> Runnable[Any, Any]:
    """Wraps a chat model (tools bound or not): user and system prompts going in and the
    model's text coming out are checked and redacted; a block or an escalation raises
    ``GuardrailBlocked`` / ``EscalationRequired`` and the model is not called (or its answer
    not returned). Tool calls and results are the business of :func:`guard_tool` (or the
    callback handler), so each is checked once, when it runs.

    >>> # chat = guard_chat_model(ChatOpenAI().bind_tools(tools), guard, agent="billing-bot")
    """

    def before(value: Any) -> list[BaseMessage]:
        out: list[BaseMessage] = []
        for message in _to_messages(value):
            text = _content_text(message)
            role = _role(message)
            if role is not None and text is not None:
                d = guard.check_prompt(text, role=role, **_context(context)).raise_for_action()
                if d.enforced == Action.REDACT and d.text is not None:
                    message = message.model_copy(update={"content": d.text})
            out.append(message)
        return out

    def after(message: Any) -> Any:
        if isinstance(message, AIMessage) and isinstance(message.content, str) and message.content:
            d = guard.check_output(message.content, **_context(context)).raise_for_action()
            if d.enforced == Action.REDACT and d.text is not None:
                return message.model_copy(update={"content": d.text})
        return message

    checked = model.with_config(tags=[CHECKED_TAG])
    return RunnableLambda(before, name="guardrail_input") | checked | RunnableLambda(
        after, name="guardrail_output"
    )


def guard_tool(tool: BaseTool, guard: Guard, **context: Any) -> BaseTool:
    """Wraps a tool: its arguments are checked (and redacted) before it runs, its result
    after; a block or escalation raises. The wrapped tool keeps the name, description and
    argument schema, so it can be bound to a model in place of the original.
    """

    def run(**kwargs: Any) -> Any:
        ctx = _context(context)
        d = guard.check_tool_call(tool.name, kwargs, **ctx).raise_for_action()
        if d.enforced == Action.REDACT and isinstance(d.args, dict):
            kwargs = d.args
        started = time.perf_counter()
        try:
            result = tool.invoke(kwargs)
        except Exception as e:
            ms = (time.perf_counter() - started) * 1000
            guard.check_tool_result(tool.name, repr(e), status="error", duration_ms=ms, **ctx)
            raise
        ms = (time.perf_counter() - started) * 1000
        out = guard.check_tool_result(tool.name, _plain(result), duration_ms=ms, **ctx)
        out.raise_for_action()
        if out.enforced == Action.REDACT:
            if out.text is not None:
                return out.text
            if out.args is not None:
                return out.args
        return result

    return StructuredTool.from_function(
        func=run,
        name=tool.name,
        description=tool.description,
        args_schema=tool.args_schema,
        tags=[CHECKED_TAG],
    )
