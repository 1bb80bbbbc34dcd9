"""Type stubs of the native module (the PyO3 binding over guardrail-core)."""

from typing import Any, Callable, Iterable, Mapping, Optional, TypedDict, Union, final

from typing_extensions import Self, disjoint_base

from ._enums import Action, Layer, Severity

__all__ = [
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
    "Policy",
    "PolicyError",
    "PolicyIssue",
    "State",
    "TextStream",
    "Vault",
    "__version__",
    "verify_audit",
]

__version__: str

_Ts = Union[int, str]
_Json = Any

class GuardrailError(Exception):
    """Base class of every exception guardrail raises."""

class PolicyError(GuardrailError):
    """A policy that failed to load; ``issues`` lists every problem."""

    issues: list[PolicyIssue]

class EventError(GuardrailError):
    """An event that is not valid."""

class GuardrailBlocked(GuardrailError):
    """The enforced action is ``block``."""

    decision: Decision

class EscalationRequired(GuardrailError):
    """The enforced action is ``escalate``: a human must approve ``gate``."""

    decision: Decision
    gate: Optional[Gate]

class AuditError(GuardrailError):
    """An audit chain that does not verify."""

    kind: str
    index: Optional[int]

def verify_audit(
    records: Iterable[Union[Mapping[str, Any], str]],
    *,
    head: Union[Mapping[str, Any], str, None] = None,
    after: Union[Mapping[str, Any], str, None] = None,
) -> None: ...

@final
class PolicyIssue:
    """One problem of a policy: where it is and what is wrong."""

    @property
    def path(self) -> str: ...
    @property
    def line(self) -> Optional[int]: ...
    @property
    def message(self) -> str: ...
    @property
    def hint(self) -> Optional[str]: ...

@final
class Policy:
    """A loaded, validated and compiled policy."""

    @staticmethod
    def from_yaml(text: Union[str, bytes]) -> Policy: ...
    @staticmethod
    def from_dict(document: Mapping[str, Any]) -> Policy: ...
    @staticmethod
    def default() -> Policy: ...
    @property
    def hash(self) -> str: ...
    def lints(self) -> list[str]: ...
    def to_dict(self) -> dict[str, Any]: ...
    @staticmethod
    def json_schema() -> dict[str, Any]: ...

@final
class State:
    """Pending gates, counters and budgets; snapshot and restore it as JSON."""

    def __new__(cls) -> State: ...
    def snapshot(self) -> str: ...
    @staticmethod
    def restore(snapshot: Union[str, bytes, Mapping[str, Any]]) -> State: ...
    def pending_gates(self) -> list[dict[str, Any]]: ...
    def take_audit_records(self) -> list[dict[str, Any]]: ...
    def audit_head(self) -> dict[str, Any]: ...
    def showback(self) -> dict[str, Any]: ...

class _StreamChunk(TypedDict):
    text: str
    findings: list[Finding]
    action: Action

@final
class TextStream:
    """A scan of text that arrives in chunks; made by ``Guard.stream``."""

    def push(self, chunk: Union[str, bytes]) -> _StreamChunk: ...
    def finish(self) -> _StreamChunk: ...

@final
class Vault:
    """The originals behind the placeholders of one conversation (personal data)."""

    def __new__(cls) -> Vault: ...
    def restore(self, text: Union[str, bytes]) -> str: ...
    def original(self, placeholder: str) -> Optional[str]: ...
    def to_json(self) -> str: ...
    @staticmethod
    def from_json(data: Union[str, bytes, Mapping[str, Any]]) -> Vault: ...
    def __len__(self) -> int: ...

@final
class Finding:
    """One reason behind a decision. ``span`` is in bytes (the JSON form); ``start`` and
    ``end`` are Python string indices."""

    @property
    def layer(self) -> Layer: ...
    @property
    def rule(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def severity(self) -> Severity: ...
    @property
    def confidence(self) -> float: ...
    @property
    def message(self) -> str: ...
    @property
    def action(self) -> Action: ...
    @property
    def shadow(self) -> bool: ...
    @property
    def path(self) -> Optional[str]: ...
    @property
    def span(self) -> Optional[tuple[int, int]]: ...
    @property
    def start(self) -> Optional[int]: ...
    @property
    def end(self) -> Optional[int]: ...
    @property
    def suggestion(self) -> Optional[str]: ...
    @property
    def package(self) -> Optional[dict[str, str]]: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class Gate:
    """A request for a human approval."""

    @property
    def id(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def expires(self) -> str: ...
    @property
    def fingerprint(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class Decision:
    """What the guard decided about one event."""

    @property
    def action(self) -> Action: ...
    @property
    def enforced(self) -> Action: ...
    @property
    def allowed(self) -> bool: ...
    @property
    def findings(self) -> list[Finding]: ...
    @property
    def text(self) -> Optional[str]: ...
    @property
    def args(self) -> Optional[_Json]: ...
    @property
    def gate(self) -> Optional[Gate]: ...
    @property
    def policy_hash(self) -> str: ...
    def raise_for_action(self) -> Decision: ...
    def to_dict(self) -> dict[str, Any]: ...
    def to_json(self) -> str: ...

@final
class Evaluator:
    """A Python callable run by the core as a host evaluator in ``layer``."""

    def __new__(
        cls,
        callable: Callable[[dict[str, Any]], Optional[Iterable[Mapping[str, Any]]]],
        *,
        name: Optional[str] = None,
        layer: str = "content",
    ) -> Evaluator: ...
    @property
    def name(self) -> str: ...
    @property
    def layer(self) -> str: ...

_EvaluatorArg = Union[Evaluator, Callable[[dict[str, Any]], Optional[Iterable[Mapping[str, Any]]]]]

@disjoint_base
class Guard:
    """Evaluates events against a compiled policy; immutable and thread-safe."""

    def __new__(
        cls,
        policy: Optional[Policy] = None,
        *,
        shadow: Optional[bool] = None,
        hash_salt: Union[str, bytes, None] = None,
        evaluators: Optional[Iterable[_EvaluatorArg]] = None,
        classifiers: Optional[
            Iterable[Callable[[str, str], Union[Mapping[str, float], Iterable[tuple[str, float]], None]]]
        ] = None,
        cost_model: Optional[Callable[[dict[str, Any]], Optional[float]]] = None,
        state: Optional[State] = None,
        agent: Optional[str] = None,
        workflow: Optional[str] = None,
        env: Optional[str] = None,
        principal: Optional[str] = None,
        tags: Optional[Mapping[str, str]] = None,
    ) -> Self: ...
    @classmethod
    def default(cls, **kwargs: Any) -> Self: ...
    @classmethod
    def from_yaml(cls, text: Union[str, bytes], **kwargs: Any) -> Self: ...
    @classmethod
    def from_dict(cls, document: Mapping[str, Any], **kwargs: Any) -> Self: ...
    @property
    def policy(self) -> Policy: ...
    @property
    def policy_hash(self) -> str: ...
    @property
    def state(self) -> State: ...
    def check_prompt(
        self,
        text: Union[str, bytes],
        *,
        role: str = "user",
        agent: Optional[str] = ...,
        workflow: Optional[str] = ...,
        run: Optional[str] = ...,
        env: Optional[str] = ...,
        principal: Optional[str] = ...,
        tags: Optional[Mapping[str, str]] = ...,
        ts: Optional[_Ts] = ...,
    ) -> Decision: ...
    def check_output(
        self,
        text: Union[str, bytes],
        *,
        model: Optional[str] = None,
        agent: Optional[str] = ...,
        workflow: Optional[str] = ...,
        run: Optional[str] = ...,
        env: Optional[str] = ...,
        principal: Optional[str] = ...,
        tags: Optional[Mapping[str, str]] = ...,
        ts: Optional[_Ts] = ...,
    ) -> Decision: ...
    def check_tool_call(
        self,
        name: str,
        args: _Json = None,
        *,
        call_id: Optional[str] = None,
        agent: Optional[str] = ...,
        workflow: Optional[str] = ...,
        run: Optional[str] = ...,
        env: Optional[str] = ...,
        principal: Optional[str] = ...,
        tags: Optional[Mapping[str, str]] = ...,
        ts: Optional[_Ts] = ...,
    ) -> Decision: ...
    def check_tool_result(
        self,
        name: str,
        output: _Json,
        *,
        call_id: Optional[str] = None,
        status: str = "ok",
        duration_ms: Optional[float] = None,
        agent: Optional[str] = ...,
        workflow: Optional[str] = ...,
        run: Optional[str] = ...,
        env: Optional[str] = ...,
        principal: Optional[str] = ...,
        tags: Optional[Mapping[str, str]] = ...,
        ts: Optional[_Ts] = ...,
    ) -> Decision: ...
    def record_usage(
        self,
        model: str,
        *,
        input_tokens: int = 0,
        output_tokens: int = 0,
        cached_input_tokens: int = 0,
        cache_write_tokens: int = 0,
        cost_usd: Optional[float] = None,
        provider: Optional[str] = None,
        duration_ms: Optional[float] = None,
        agent: Optional[str] = ...,
        workflow: Optional[str] = ...,
        run: Optional[str] = ...,
        env: Optional[str] = ...,
        principal: Optional[str] = ...,
        tags: Optional[Mapping[str, str]] = ...,
        ts: Optional[_Ts] = ...,
    ) -> Decision: ...
    def approve(
        self,
        gate: str,
        approver: str,
        role: str,
        *,
        approve: bool = True,
        comment: Optional[str] = None,
        agent: Optional[str] = ...,
        workflow: Optional[str] = ...,
        run: Optional[str] = ...,
        env: Optional[str] = ...,
        principal: Optional[str] = ...,
        tags: Optional[Mapping[str, str]] = ...,
        ts: Optional[_Ts] = ...,
    ) -> Decision: ...
    def evaluate(self, event: Mapping[str, Any]) -> Decision: ...
    def scan(self, text: Union[str, bytes], *, channel: str = "user") -> list[Finding]: ...
    def redact(self, text: Union[str, bytes], *, channel: str = "model_output") -> str: ...
    def stream(self, *, channel: str = "model_output") -> TextStream: ...
    def otlp_traces(self, after: int = 0) -> dict[str, Any]: ...
    def otlp_metrics(self) -> str: ...
    def prometheus_text(self) -> str: ...
    def operations_view(self) -> dict[str, Any]: ...
    def pseudonymize(self, text: Union[str, bytes], vault: Vault, *, channel: str = "user") -> str: ...
