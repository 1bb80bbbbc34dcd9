"""Streamed text through Python: redacted text released as it settles, findings with
character offsets in the whole stream, and bad use of a stream."""

from __future__ import annotations

import pytest

from guardrail import Action, Finding, Guard

TOKEN = "ghp_Zq8vL2mXw9Rt4pKeB7nY3cD5fG1hJ6sA0uQe"


def stream_through(guard: Guard, text: str, size: int) -> tuple[str, list[Finding]]:
    stream = guard.stream()
    shown: list[str] = []
    findings: list[Finding] = []
    for i in range(0, len(text), size):
        out = stream.push(text[i : i + size])
        shown.append(out["text"])
        findings.extend(out["findings"])
    out = stream.finish()
    shown.append(out["text"])
    findings.extend(out["findings"])
    return "".join(shown), findings


@pytest.mark.parametrize("size", [1, 5, 64, 300, 100_000])
def test_stream_matches_whole_text_redaction(size: int) -> None:
    guard = Guard.default()
    # Multi-byte characters before the secrets: character offsets differ from byte offsets.
    text = "héllo wörld 🙂 " * 300 + f"token {TOKEN} and mail ana@example.org " + "ünïcode " * 400
    shown, findings = stream_through(guard, text, size)
    assert shown == guard.redact(text)
    assert TOKEN not in shown
    by_rule = {f.rule: f for f in findings}
    token = by_rule["secrets.github_pat"]
    assert token.start is not None and text[token.start : token.end] == TOKEN
    mail = by_rule["pii.email"]
    assert text[mail.start : mail.end] == "ana@example.org"


def test_text_is_released_while_streaming() -> None:
    stream = Guard.default().stream(channel="model_output")
    released = [stream.push("word " * 20)["text"] for _ in range(40)]
    assert any(released), "nothing released before finish"
    out = stream.finish()
    assert out["action"] == Action.ALLOW and out["findings"] == []


def test_block_action_reaches_the_host() -> None:
    key = (
        "-----BEGIN RSA PRIVATE KEY-----\n"
        "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
        "-----END RSA PRIVATE KEY-----\n"
    )
    stream = Guard.default().stream()
    stream.push(key.encode())
    assert stream.finish()["action"] == Action.BLOCK


def test_bad_use_of_a_stream() -> None:
    guard = Guard.default()
    with pytest.raises(ValueError, match="unknown channel"):
        guard.stream(channel="radio")
    stream = guard.stream()
    with pytest.raises(TypeError, match="chunk must be str"):
        stream.push(42)  # type: ignore[arg-type]
    with pytest.raises(UnicodeDecodeError):
        stream.push(b"\xff\xfe")
    stream.push("fine")
    assert stream.finish()["text"] == "fine"
    with pytest.raises(RuntimeError, match="finished"):
        stream.push("more")
    with pytest.raises(RuntimeError, match="finished"):
        stream.finish()
    assert "finished" in repr(stream)
