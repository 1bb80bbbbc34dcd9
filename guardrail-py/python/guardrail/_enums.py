"""String-valued enums of the decision model.

Members compare equal to their JSON strings (``Action.REDACT == "redact"``), so code can
test ``decision.action == "block"`` or use the enum. ``Action`` and ``Severity`` order by
severity (``Action.ALLOW < Action.REDACT < Action.ESCALATE < Action.BLOCK``), not
alphabetically.
"""

from __future__ import annotations

import enum
from typing import Any

__all__ = ["Action", "Layer", "Severity"]


class _Ranked(str, enum.Enum):
    """A str enum ordered by declaration order."""

    def _rank(self, other: Any) -> tuple[int, int]:
        if not isinstance(other, type(self)):
            try:
                other = type(self)(other)
            except ValueError:
                raise TypeError(
                    f"cannot compare {type(self).__name__} with {other!r}"
                ) from None
        members = list(type(self))
        return members.index(self), members.index(other)

    def __lt__(self, other: Any) -> bool:
        a, b = self._rank(other)
        return a < b

    def __le__(self, other: Any) -> bool:
        a, b = self._rank(other)
        return a <= b

    def __gt__(self, other: Any) -> bool:
        a, b = self._rank(other)
        return a > b

    def __ge__(self, other: Any) -> bool:
        a, b = self._rank(other)
        return a >= b

    def __str__(self) -> str:
        return str(self.value)

    __hash__ = str.__hash__


class Action(_Ranked):
    """What to do with an event: ``allow < redact < escalate < block``."""

    ALLOW = "allow"
    REDACT = "redact"
    ESCALATE = "escalate"
    BLOCK = "block"


class Severity(_Ranked):
    """How bad a finding is: ``info < low < medium < high < critical``."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Layer(str, enum.Enum):
    """The layer of the stack whose evaluator reported a finding."""

    CONSTRAINTS = "constraints"
    CONTENT = "content"
    OBSERVE = "observe"
    GATES = "gates"
    GOVERNANCE = "governance"

    def __str__(self) -> str:
        return str(self.value)
