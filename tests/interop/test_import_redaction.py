"""Importers never carry a secret into a run directory: lm-eval's model_args even when values hold
commas, and Inspect's model args under names like `session` or `cookie` (issue 10 §3)."""

from __future__ import annotations

from harness.importers.lmeval import _args, _model_entry
from harness.models.redact import scrub


def test_lmeval_model_args_with_commas_in_values_are_redacted_whole():
    args = "model=org/m,api_key=sk-abc,def,ghi,base_url=http://u:pw@h/v1,num_concurrent=8"
    entry = _model_entry("m", {"config": {"model": "local-chat-completions", "model_args": args}})
    text = entry["model_args"]
    assert "sk-abc" not in text and "def" not in text and "ghi" not in text and "pw" not in text
    assert "api_key=<redacted sha256:" in text and "num_concurrent=8" in text and "model=org/m" in text
    assert _args(args)["api_key"] == "sk-abc,def,ghi" and _args(args)["num_concurrent"] == "8"


def test_inspect_model_args_such_as_a_session_or_cookie_are_redacted():
    model_args = {"session": "s3ss10n-value", "cookie": "c00kie", "base_url": "http://h/v1", "temperature": 0.5}
    cleaned = scrub(model_args)
    assert cleaned["session"] == "<redacted>" and cleaned["cookie"] == "<redacted>"
    assert cleaned["temperature"] == 0.5 and cleaned["base_url"] == "http://h/v1"
    assert "s3ss10n" not in str(scrub({"nested": {"session_id": "s3ss10n-value"}}))
