"""Pure-Python conveniences over the native ``Guard``: policy files, runs, the tool
decorator and asyncio variants. No policy logic lives here: every decision comes from the
Rust core."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import os
import time
import uuid
from types import TracebackType
from typing import Any, Awaitable, Callable, Mapping, Optional, TypeVar, Union, cast

from ._enums import Action
from ._guardrail import Decision
from ._guardrail import Guard as _NativeGuard
from .events import Event

__all__ = ["Guard", "Run", "current_run"]

F = TypeVar("F", bound=Callable[..., Any])
G = TypeVar("G", bound="Guard")

_CURRENT_RUN: contextvars.ContextVar[Optional[Run]] = contextvars.ContextVar(
    "guardrail_current_run", default=None
)

# Values that convert to JSON as they are; anything else is reported by its repr().
_JSON_SCALARS = (str, int, float, bool, type(None))
_MAX_DEPTH = 64


def current_run() -> Optional[Run]:
    """The run entered with ``with guard.start_run(...)`` in this context, if any."""
    return _CURRENT_RUN.get()


def _jsonable(value: Any, depth: int = 0) -> Any:
    """A JSON-convertible copy of a tool's arguments or result: objects the JSON form cannot
    hold (a connection, a dataframe) are reported by their ``repr``."""
    if isinstance(value, _JSON_SCALARS):
        if isinstance(value, float) and value != value:  # NaN has no JSON form
            return repr(value)
        return value
    if depth >= _MAX_DEPTH:
        return repr(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, depth + 1) for v in value]
    return repr(value)


class Run:
    """One run of an agent (``run_start`` ... ``run_end``), usable as a context manager.

    >>> guard = Guard.default()
    >>> with guard.start_run(workflow="refunds") as run:
    ...     _ = run.check_prompt("refund order 1182")
    >>> run.ended
    True

    The run ends with outcome ``success``, or ``failure`` when the block raised, unless
    :meth:`end` was called first.
    """

    def __init__(self, guard: Guard, run_id: str, context: dict[str, Any]) -> None:
        self.guard = guard
        self.id = run_id
        self.context = {**context, "run": run_id}
        self.start_decision: Optional[Decision] = None
        self.end_decision: Optional[Decision] = None
        self._token: Optional[contextvars.Token[Optional[Run]]] = None

    @property
    def ended(self) -> bool:
        """Whether ``run_end`` was reported."""
        return self.end_decision is not None

    def _ctx(self, extra: dict[str, Any]) -> dict[str, Any]:
        return {**self.context, **extra}

    def check_prompt(self, text: str, *, role: str = "user", **context: Any) -> Decision:
        """``Guard.check_prompt`` within this run."""
        return self.guard.check_prompt(text, role=role, **self._ctx(context))

    def check_output(self, text: str, *, model: Optional[str] = None, **context: Any) -> Decision:
        """``Guard.check_output`` within this run."""
        return self.guard.check_output(text, model=model, **self._ctx(context))

    def check_tool_call(
        self, name: str, args: Any = None, *, call_id: Optional[str] = None, **context: Any
    ) -> Decision:
        """``Guard.check_tool_call`` within this run."""
        return self.guard.check_tool_call(name, args, call_id=call_id, **self._ctx(context))

    def check_tool_result(self, name: str, output: Any, **kwargs: Any) -> Decision:
        """``Guard.check_tool_result`` within this run."""
        return self.guard.check_tool_result(name, output, **self._ctx(kwargs))

    def record_usage(self, model: str, **kwargs: Any) -> Decision:
        """``Guard.record_usage`` within this run."""
        return self.guard.record_usage(model, **self._ctx(kwargs))

    def end(
        self, outcome: str = "success", *, quality: Optional[float] = None, **context: Any
    ) -> Decision:
        """Reports ``run_end`` (``success``, ``failure``, ``timeout`` or ``cancelled``)."""
        if self.end_decision is None:
            merged = {k: v for k, v in self.context.items() if k != "run"}
            merged.update(context)
            self.end_decision = self.guard.end_run(self.id, outcome, quality=quality, **merged)
        return self.end_decision

    def __enter__(self) -> Run:
        if self.start_decision is not None:
            self.start_decision.raise_for_action()
        self._token = _CURRENT_RUN.set(self)
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        if self._token is not None:
            _CURRENT_RUN.reset(self._token)
            self._token = None
        if not self.ended:
            self.end("failure" if exc_type is not None else "success")

    async def __aenter__(self) -> Run:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.__exit__(exc_type, exc, tb)

    def __repr__(self) -> str:
        return f"Run(id={self.id!r}, ended={self.ended})"


class Guard(_NativeGuard):
    """Evaluates what an agent does against a policy. Build it once and share it: it is
    immutable and thread-safe, and every check releases the GIL.

    >>> guard = Guard.from_yaml("version: 1\\nrules:\\n  - id: no_dump\\n    keywords: [pg_dump]\\n    action: escalate\\n")
    >>> d = guard.check_tool_call("shell", {"cmd": "pg_dump prod"})
    >>> d.action == "escalate", d.gate is not None
    (True, True)
    """

    @classmethod
    def from_file(cls: type[G], path: Union[str, os.PathLike[str]], **kwargs: Any) -> G:
        """A guard over the policy file at ``path`` (YAML or JSON); keywords as for ``Guard``.

        Raises ``OSError`` when the file cannot be read and ``PolicyError`` when it is invalid.
        """
        with open(path, encoding="utf-8") as f:
            text = f.read()
        return cls.from_yaml(text, **kwargs)

    def evaluate(self, event: Union[Mapping[str, Any], Event]) -> Decision:
        """Evaluates an event given in its JSON form (a dict) or as a typed event
        (:mod:`guardrail.events`). A missing ``ts`` is read from the clock; missing context
        comes from the guard's defaults.

        >>> Guard.default().evaluate({"type": "prompt", "text": "hello"}).allowed
        True
        """
        if isinstance(event, Event):
            event = event.to_dict()
        return super().evaluate(event)

    # -- runs -------------------------------------------------------------------------

    def start_run(
        self, run: Optional[str] = None, *, workflow: Optional[str] = None, **context: Any
    ) -> Run:
        """Reports ``run_start`` and returns the :class:`Run` (an id is generated when
        ``run`` is None). Use it as a context manager to end it automatically; entering
        raises if the start was blocked or needs approval."""
        run_id = run if run is not None else f"r-{uuid.uuid4().hex[:12]}"
        ctx = dict(context)
        if workflow is not None:
            ctx["workflow"] = workflow
        handle = Run(self, run_id, ctx)
        handle.start_decision = self.evaluate({"type": "run_start", **_event_context(handle.context)})
        return handle

    def end_run(
        self,
        run: Union[str, Run],
        outcome: str = "success",
        *,
        quality: Optional[float] = None,
        **context: Any,
    ) -> Decision:
        """Reports ``run_end`` for ``run`` (an id or a :class:`Run`)."""
        run_id = run.id if isinstance(run, Run) else run
        event: dict[str, Any] = {
            "type": "run_end",
            "outcome": outcome,
            **_event_context({**context, "run": run_id}),
        }
        if quality is not None:
            event["quality"] = quality
        return self.evaluate(event)

    # -- tools ------------------------------------------------------------------------

    def tool(self, name: str, **context: Any) -> Callable[[F], F]:
        """Decorates a tool function (sync or async): the arguments are checked before it
        runs, its result after, and the call's duration and status are recorded.

        A block raises ``GuardrailBlocked``, an escalation ``EscalationRequired`` (with the
        gate); a redaction runs the tool with the redacted arguments and returns the redacted
        result. Arguments and results that have no JSON form are reported by their repr.

        >>> guard = Guard.default()
        >>> @guard.tool("math.add")
        ... def add(a: int, b: int) -> int:
        ...     return a + b
        >>> add(2, 3)
        5
        """

        def decorate(fn: F) -> F:
            sig = inspect.signature(fn)

            def before(args: tuple[Any, ...], kwargs: dict[str, Any]) -> inspect.BoundArguments:
                bound = sig.bind(*args, **kwargs)
                bound.apply_defaults()
                return bound

            def apply(decision: Decision, bound: inspect.BoundArguments) -> inspect.BoundArguments:
                decision.raise_for_action()
                redacted = decision.args
                if decision.enforced == Action.REDACT and isinstance(redacted, dict):
                    for key, value in redacted.items():
                        if key in bound.arguments:
                            bound.arguments[key] = value
                return bound

            def result_of(decision: Decision, result: Any) -> Any:
                decision.raise_for_action()
                if decision.enforced == Action.REDACT:
                    if decision.text is not None:
                        return decision.text
                    if decision.args is not None:
                        return decision.args
                return result

            def ctx() -> dict[str, Any]:
                run = current_run()
                merged = dict(run.context) if run is not None else {}
                merged.update(context)
                return merged

            if inspect.iscoroutinefunction(fn):

                @functools.wraps(fn)
                async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                    bound = before(args, kwargs)
                    call_id = f"c-{uuid.uuid4().hex[:12]}"
                    c = ctx()
                    d = await self.acheck_tool_call(
                        name, _jsonable(dict(bound.arguments)), call_id=call_id, **c
                    )
                    bound = apply(d, bound)
                    started = time.perf_counter()
                    try:
                        result = await fn(*bound.args, **bound.kwargs)
                    except Exception as e:
                        ms = (time.perf_counter() - started) * 1000
                        await self.acheck_tool_result(
                            name, repr(e), call_id=call_id, status="error", duration_ms=ms, **c
                        )
                        raise
                    ms = (time.perf_counter() - started) * 1000
                    out = await self.acheck_tool_result(
                        name, _jsonable(result), call_id=call_id, duration_ms=ms, **c
                    )
                    return result_of(out, result)

                return cast(F, async_wrapper)

            @functools.wraps(fn)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                bound = before(args, kwargs)
                call_id = f"c-{uuid.uuid4().hex[:12]}"
                c = ctx()
                d = self.check_tool_call(name, _jsonable(dict(bound.arguments)), call_id=call_id, **c)
                bound = apply(d, bound)
                started = time.perf_counter()
                try:
                    result = fn(*bound.args, **bound.kwargs)
                except Exception as e:
                    ms = (time.perf_counter() - started) * 1000
                    self.check_tool_result(
                        name, repr(e), call_id=call_id, status="error", duration_ms=ms, **c
                    )
                    raise
                ms = (time.perf_counter() - started) * 1000
                out = self.check_tool_result(
                    name, _jsonable(result), call_id=call_id, duration_ms=ms, **c
                )
                return result_of(out, result)

            return cast(F, wrapper)

        return decorate

    # -- asyncio ----------------------------------------------------------------------
    # The checks run in a worker thread (the core releases the GIL), so a slow host
    # evaluator never blocks the event loop.

    async def acheck_prompt(self, text: str, *, role: str = "user", **context: Any) -> Decision:
        """``check_prompt`` for asyncio code, run off the event loop."""
        return await _off_loop(functools.partial(self.check_prompt, text, role=role, **context))

    async def acheck_output(
        self, text: str, *, model: Optional[str] = None, **context: Any
    ) -> Decision:
        """``check_output`` for asyncio code, run off the event loop."""
        return await _off_loop(functools.partial(self.check_output, text, model=model, **context))

    async def acheck_tool_call(
        self, name: str, args: Any = None, *, call_id: Optional[str] = None, **context: Any
    ) -> Decision:
        """``check_tool_call`` for asyncio code, run off the event loop."""
        return await _off_loop(
            functools.partial(self.check_tool_call, name, args, call_id=call_id, **context)
        )

    async def acheck_tool_result(self, name: str, output: Any, **kwargs: Any) -> Decision:
        """``check_tool_result`` for asyncio code, run off the event loop."""
        return await _off_loop(functools.partial(self.check_tool_result, name, output, **kwargs))

    async def arecord_usage(self, model: str, **kwargs: Any) -> Decision:
        """``record_usage`` for asyncio code, run off the event loop."""
        return await _off_loop(functools.partial(self.record_usage, model, **kwargs))

    async def aapprove(self, gate: str, approver: str, role: str, **kwargs: Any) -> Decision:
        """``approve`` for asyncio code, run off the event loop."""
        return await _off_loop(functools.partial(self.approve, gate, approver, role, **kwargs))

    async def aevaluate(self, event: Union[Mapping[str, Any], Event]) -> Decision:
        """``evaluate`` for asyncio code, run off the event loop."""
        return await _off_loop(functools.partial(self.evaluate, event))


def _event_context(context: dict[str, Any]) -> dict[str, Any]:
    """Context keywords as JSON fields (None values dropped)."""
    return {k: v for k, v in context.items() if v is not None}


def _off_loop(call: Callable[[], Decision]) -> Awaitable[Decision]:
    # asyncio.to_thread copies the contextvars (the current run) into the worker.
    return asyncio.to_thread(call)
