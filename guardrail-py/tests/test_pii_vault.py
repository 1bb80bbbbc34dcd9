"""PII through Python: the default policy's detectors and the pseudonymization vault."""

from __future__ import annotations

import json

import pytest

import guardrail
from guardrail import Guard, Vault


def test_default_policy_redacts_pii_with_character_offsets() -> None:
    text = "Écrivez à jane.doe@example.com"
    d = Guard.default().check_output(text)
    assert d.action == "redact"
    emails = [f for f in d.findings if f.rule == "pii.email"]
    assert emails, d.findings
    f = emails[0]
    assert f.start is not None and text[f.start : f.end] == "jane.doe@example.com"
    assert d.text is not None and "jane.doe@example.com" not in d.text


def test_pseudonymize_and_restore_round_trip() -> None:
    guard = Guard.default()
    vault = Vault()
    masked = guard.pseudonymize("Mail jane.doe@example.com, cc jane.doe@example.com", vault)
    assert masked == "Mail <EMAIL_1>, cc <EMAIL_1>"
    assert len(vault) == 1
    assert vault.original("<EMAIL_1>") == "jane.doe@example.com"
    assert vault.original("EMAIL_9") is None
    assert vault.restore("Sent to <EMAIL_1>; <UNKNOWN_3> stays") == "Sent to jane.doe@example.com; <UNKNOWN_3> stays"
    second = guard.pseudonymize("and bob@example.org", vault)
    assert second == "and <EMAIL_2>"
    saved = vault.to_json()
    again = Vault.from_json(saved)
    assert again.restore("<EMAIL_2>") == "bob@example.org"
    assert Vault.from_json(json.loads(saved)).restore("<EMAIL_1>") == "jane.doe@example.com"
    assert "example" not in repr(vault), "the repr never shows personal data"
    assert guard.pseudonymize("nothing personal", Vault()) == "nothing personal"


def test_vault_bad_input() -> None:
    with pytest.raises(guardrail.GuardrailError, match="invalid vault"):
        Vault.from_json("{nope")
    with pytest.raises(TypeError):
        Vault.from_json(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Guard.default().pseudonymize("x", {})  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Guard.default().pseudonymize("x", Vault(), channel="fax")
    with pytest.raises(UnicodeDecodeError):
        Vault().restore(b"\xff")
