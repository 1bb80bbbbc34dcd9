"""The examples of docs/PYTHON.md and the docstrings run as written."""

from __future__ import annotations

import doctest
import importlib
import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "PYTHON.md"


def blocks() -> list[str]:
    if not DOC.exists():
        return []
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


@pytest.mark.parametrize("code", blocks())
def test_doc_examples_run(code: str) -> None:
    if "langchain_core" in code:
        pytest.importorskip("langchain_core")
    if "from agents" in code:
        pytest.importorskip("agents")
    exec(compile(code, str(DOC), "exec"), {})


def test_doc_has_examples() -> None:
    if not DOC.exists():
        pytest.skip("skipped: docs/PYTHON.md not found (run from a checkout)")
    assert len(blocks()) >= 4


@pytest.mark.parametrize(
    "module",
    [
        "guardrail",
        "guardrail._guard",
        "guardrail._enums",
        "guardrail.events",
        "guardrail.integrations.langchain",
        "guardrail.integrations.openai_agents",
    ],
)
def test_docstring_examples(module: str) -> None:
    if module.endswith("langchain"):
        pytest.importorskip("langchain_core")
    if module.endswith("openai_agents"):
        pytest.importorskip("agents")
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
