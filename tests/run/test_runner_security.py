"""Security and integrity regressions of the run engine (review findings): results never lost to a second
copy of a command, secrets never recorded, hostile model output never turned into an excluded item."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from harness.errors import UserError
from harness.items import Outcome, Suite
from harness.models import ChatRequest
from harness.run.store import iter_records, read_manifest, repair_torn_tail
from tests.run.test_runner import exact_suite, run, spec
from tests.servers import Reply, serve

ROOT = Path(__file__).resolve().parents[2]

# A live writer: holds the run's journal lock and is caught in the middle of writing a line.
_WRITER = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from harness.run.store import Journal, read_manifest, write_manifest
    run_dir = Path(sys.argv[1])
    record = json.loads((run_dir / "items.jsonl").read_bytes().splitlines()[0])
    line = json.dumps({**record, "item_id": "written-by-the-first-process"}).encode() + b"\\n"
    journal = Journal(run_dir)
    manifest = read_manifest(run_dir)  # a session starts, as the runner's does: running, not ended
    manifest.update(status="running", sessions=[*manifest["sessions"], {"started_at": "now"}])
    write_manifest(run_dir, manifest)
    import os
    os.write(journal._fd, line[:40])
    print("ready", flush=True)
    sys.stdin.readline()
    os.write(journal._fd, line[40:])
    journal.close()
""")

def test_a_second_copy_of_a_running_command_never_cuts_the_first_ones_write_in_progress(tmp_path):
    with serve() as srv:
        first = run(tmp_path, [spec(srv.base_url)], [exact_suite("s", 6)])
        journal = first.run_dir / "items.jsonl"
        writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(first.run_dir)], cwd=ROOT,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert writer.stdout.readline().strip() == "ready"
            mid_write = journal.read_bytes()
            assert not mid_write.endswith(b"\n")  # looks exactly like a torn tail
            with pytest.raises(UserError, match="another asymmetry process"):
                run(tmp_path, [spec(srv.base_url)], [exact_suite("s", 6)])
            assert journal.read_bytes() == mid_write  # nothing cut while the writer lives
            with pytest.raises(UserError, match="another asymmetry process"):
                repair_torn_tail(journal)
            assert journal.read_bytes() == mid_write
            writer.communicate("go\n", timeout=30)
        finally:
            writer.kill()
        assert writer.returncode == 0
        lines = journal.read_bytes().splitlines()
        assert json.loads(lines[-1])["item_id"] == "written-by-the-first-process"
        again = run(tmp_path, [spec(srv.base_url)], [exact_suite("s", 6)])
    assert again.written == 0 and read_manifest(first.run_dir)["sessions"][-1]["repaired_bytes"] == 0
    assert sum(r["item_id"] == "written-by-the-first-process" for r in iter_records(first.run_dir)) == 1


# -- secrets (review findings 3, 4, 7b, 10) ------------------------------------------------------------------

KEY = "sk-" + f"fake-{secrets.token_hex(12)}"  # a fake key, made at run time


def _all_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


def test_a_key_echoed_in_a_refusal_or_an_unreadable_tool_call_never_reaches_the_journal(tmp_path, monkeypatch):
    monkeypatch.setenv("VLLM_API_KEY", KEY)

    def answer(request):
        if request.prompt.endswith("q-0"):
            return Reply(text=f"filtered, your key is {KEY}", finish_reason="content_filter")
        return Reply(text=f"<tool_calls>{{bad {KEY}</tool_calls>")

    async def solve(item, generate):  # a tool suite in json tool mode: the text is parsed for calls
        response = await generate(ChatRequest(messages=[{"role": "user", "content": item.input["q"]}],
                                              tools=[{"type": "function", "function": {"name": "f", "parameters": {}}}]))
        return Outcome(0.0, False, None, response.text)

    suite = Suite("t", "v1", "targeted", "agentic", exact_suite("t", 2).items, solve)
    with serve(answer=answer) as srv:
        result = run(tmp_path, [spec(srv.base_url, tool_mode="json")], [suite], adapter_options={"retries": 0})
    records = {r["item_id"]: r for r in iter_records(result.run_dir)}
    assert KEY.encode() not in _all_bytes(result.run_dir)
    assert (records["0"]["error"], records["1"]["error"]) == ("refusal", "parse_failure")
    for record in records.values():
        assert record["redacted"] is True and "***" in record["response"]  # the text is kept, the key masked


def test_a_placeholder_key_is_not_masked_in_answers(tmp_path, monkeypatch):
    monkeypatch.setenv("VLLM_API_KEY", "x")  # EMPTY, ollama, x: placeholders for servers that want none
    with serve(answer=lambda r: r"The answer is \boxed{42}, explained") as srv:
        result = run(tmp_path, [spec(srv.base_url)], [exact_suite("s", 1)])
    record = next(iter_records(result.run_dir))
    assert record["response"] == r"The answer is \boxed{42}, explained" and "redacted" not in record


def test_secrets_in_extras_and_urls_stay_out_of_the_run_directory_and_output(tmp_path):
    from tests.run.test_runner_cli import child, finish

    extra = json.dumps({"api_key": KEY, "top_k": 20})
    config = tmp_path / "models.toml"
    config.write_text(f'[a.extra]\nx_auth_token = "{KEY}"\n')
    with serve() as srv:
        host = srv.base_url.removeprefix("http://")
        url = f"http://alice:pw@{KEY}@{host}"  # a password with an unencoded '@', pasted into the URL
        argv = ["run", "--model", f"a=vllm:test-model@{url}", "--suites", "default", "--out", str(tmp_path / "out"),
                "--run-id", "r", "--quiet", "--extra", extra, "--model-config", str(config)]
        code, out, err = finish(child(3, *argv))
        bodies = [e.request.body for e in srv.generation_requests()]
    assert code == 0, err
    assert bodies and all(b["api_key"] == KEY and b["x_auth_token"] == KEY for b in bodies)  # really sent
    manifest = read_manifest(tmp_path / "out" / "r")
    assert manifest["decoding"]["extra"]["top_k"] == 20
    assert manifest["decoding"]["extra"]["api_key"].startswith("<redacted sha256:")
    assert manifest["models"][0]["extra"]["x_auth_token"].startswith("<redacted sha256:")
    assert "--extra" in manifest["sessions"][0]["command"]
    assert KEY.encode() not in _all_bytes(tmp_path / "out") and KEY not in out + err


def test_a_different_secret_extra_is_still_a_different_configuration(tmp_path):
    with serve() as srv:
        first = run(tmp_path, [spec(srv.base_url, extra={"api_key": "a" * 20})], [exact_suite("s", 2)], run_id="r")
        with pytest.raises(UserError, match="different configuration"):
            run(tmp_path, [spec(srv.base_url, extra={"api_key": "b" * 20})], [exact_suite("s", 2)], run_id="r")
    assert first.written == 2


@pytest.mark.parametrize("command, leaked", [
    ("asymmetry run -m m=vllm:M@http://alice:p@ss@h/v1", "ss@h"),  # the last '@' ends the user-info
    ("asymmetry run -m m=vllm:M@http://h/v1?api_key=QSECRETQ", "QSECRETQ"),
    ("""asymmetry run --extra '{"api_key": "sk-EXTRASECRET", "top_k": 20}'""", "EXTRASECRET"),
])
def test_recorded_commands_hide_every_form_of_pasted_secret(command, leaked):
    from harness.run.runner import redact_command

    assert leaked not in redact_command(command) and "***" in redact_command(command)


# -- hostile output is the model's failure, never an excluded item (review finding 5) -------------------------


def _tools_suite(n: int = 2) -> Suite:
    import tomllib

    from harness.suites.builtin import tool_tasks
    from harness.suites.builtin.tools_env import make_solver

    spec_toml = tomllib.loads((ROOT / "suites" / "builtin-tools.toml").read_text())
    items = tuple(t.item for t in tool_tasks.generate_tasks(2026, n))
    return Suite("builtin-tools", "v1", "targeted", "agentic", items, make_solver(spec_toml))


@pytest.mark.parametrize("block, error", [
    ('[{"name": "list_files", "arguments": {1: "x", "zz": "y"}}]', "parse_failure"),  # a Python literal
    ('[{"name": "transfer", "arguments": {"from_account": "checking", "to": "savings", "amount": %s}}]'
     % ("9" * 30), "step_limit"),  # JSON, with an integer beyond 64 bits: refused by the tool, every step
])
def test_hostile_tool_calls_in_json_mode_are_scored_and_the_journal_holds_them(tmp_path, block, error):
    with serve(answer=lambda request: f"<tool_calls>{block}</tool_calls>") as srv:
        result = run(tmp_path, [spec(srv.base_url, tool_mode="json")], [_tools_suite()])
    assert result.status == "complete"
    records = list(iter_records(result.run_dir))
    assert [r["error"] for r in records] == [error, error] and all(r["score"] == 0.0 for r in records)


def test_a_data_error_on_the_models_output_is_a_parse_failure_but_an_environment_error_is_the_harnesss(tmp_path):
    suite = exact_suite("s", 6)

    async def solve(item, generate):
        response = await generate(ChatRequest(messages=[{"role": "user", "content": item.input["q"]}]))
        if item.id == "1":
            int("9" * 5000)  # ValueError: what a scorer meets in a crafted answer
        if item.id == "2":
            raise OSError("disk full")  # the machine, not the model
        return Outcome(1.0, True, None, response.text)

    with serve() as srv:
        result = run(tmp_path, [spec(srv.base_url)], [Suite("s", "v1", "targeted", "coding", suite.items, solve)])
    records = {r["item_id"]: r for r in iter_records(result.run_dir)}
    assert records["1"]["error"] == "parse_failure" and "ValueError" in records["1"]["error_message"]
    assert records["2"]["error"] == "harness" and "disk full" in records["2"]["error_message"]
    assert any("parse_failure" in w and "harness bug" in w for w in result.warnings)
