"""Secrets in URL query parameters (security review finding 8): a key under any parameter name (key,
code, sig…) never reaches the manifest's command, the records or the printed resume command. (Imported
lm-eval / Inspect model arguments: tests/interop/test_import_lmeval.py and test_inspect_import.py.)"""

from __future__ import annotations

import secrets

from harness.run.store import read_manifest
from tests.run.test_runner_cli import child, finish
from tests.servers import serve

LEAKS = {name: f"{name}-{secrets.token_hex(8)}" for name in ("key", "code", "sig", "k", "x-goog")}


def _all_bytes(folder) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


def test_any_query_parameter_but_known_safe_ones_is_masked_in_the_recorded_and_printed_command(tmp_path):
    query = "&".join(f"{name}={value}" for name, value in LEAKS.items()) + "&api-version=2024-06-01"
    with serve() as srv:
        argv = ["run", "--model", f"q=vllm:test-model@{srv.base_url}?{query}", "--suites", "default",
                "--out", str(tmp_path / "out"), "--run-id", "r", "--quiet", "--retries", "0"]
        code, out, err = finish(child(2, *argv))
    assert code in (0, 3), err
    command = read_manifest(tmp_path / "out" / "r")["sessions"][0]["command"]
    assert "api-version=2024-06-01" in command and "key=***" in command
    stored = _all_bytes(tmp_path / "out")
    for value in LEAKS.values():
        assert value not in out + err and value.encode() not in stored, value
    if code == 3:  # the printed command to ask the failed units again
        assert "api-version=2024-06-01" in err

