"""Records that cannot change unnoticed, from the security review of f5d50db: a tampered journal never
becomes a clean run by replay or by a resume, a truncated copy is reported before anything is cut, and
odd responses (another model's id, a lone surrogate) are recorded honestly."""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path

import orjson
import pytest

from harness.errors import UserError
from harness.models import ChatRequest, parse_model_spec
from harness.run.replay import ReplayAdapter
from harness.run.store import iter_records, read_manifest, verify_journal
from tests.run.test_runner import exact_suite, run, spec
from tests.servers import Faults, Reply, serve


def _right_answers(journal: Path) -> int:
    """Edit the journal's wrong answers into right ones (what a forger would do); how many were changed."""
    lines = journal.read_bytes().splitlines(keepends=True)
    changed = 0
    for i, line in enumerate(lines):
        record = orjson.loads(line)
        if not record["correct"]:
            target = "other"  # exact_suite's target for every third item
            record.update(score=1.0, correct=True, response=target)
            for turn in record["turns"]:
                turn.update(text=None, text_is_response=True)
            lines[i] = orjson.dumps(record) + b"\n"
            changed += 1
    journal.write_bytes(b"".join(lines))
    return changed


def test_replay_refuses_a_source_journal_edited_after_its_manifest_was_written(tmp_path):
    with serve() as srv:
        original = run(tmp_path, [spec(srv.base_url, "orig")], [exact_suite("s", 9)])
    journal = original.run_dir / "items.jsonl"
    assert _right_answers(journal) == 3 and verify_journal(original.run_dir) is not None
    replay = parse_model_spec(f"again=replay:orig@{original.run_dir}")
    with pytest.raises(UserError) as info:
        run(tmp_path, [replay], [exact_suite("s", 9)])
    message = str(info.value)
    assert str(journal) in message and "replay" in message and "\n" not in message
    assert not (tmp_path / "results").exists() or [p.name for p in (tmp_path / "results").iterdir()] == [
        original.run_dir.name]  # no re-scored run was written


def test_replay_refuses_lines_added_after_the_signed_part_and_records_the_sha_of_what_it_read(tmp_path):
    with serve() as srv:
        original = run(tmp_path, [spec(srv.base_url, "orig")], [exact_suite("s", 6)])
    journal = original.run_dir / "items.jsonl"
    signed = journal.read_bytes()
    journal.write_bytes(signed + signed.splitlines(keepends=True)[0])  # a line added by hand
    replay = parse_model_spec(f"again=replay:orig@{original.run_dir}")
    with pytest.raises(UserError, match="follow the part the manifest signed.*Cut them off") as info:
        run(tmp_path, [replay], [exact_suite("s", 6)])
    assert "replay reads only" in str(info.value) and "\n" not in str(info.value)
    journal.write_bytes(signed)
    replayed = run(tmp_path, [replay], [exact_suite("s", 6)])
    source = read_manifest(replayed.run_dir)["models"][0]["replay_source"]
    assert source["journal_sha256"] == hashlib.sha256(signed).hexdigest() == read_manifest(original.run_dir)[
        "journal_sha256"]
    assert source["journal_bytes"] == len(signed)


def test_replay_refuses_a_source_changed_while_it_is_being_replayed(tmp_path):
    with serve() as srv:
        original = run(tmp_path, [spec(srv.base_url, "orig")], [exact_suite("s", 3)])
    adapter = ReplayAdapter(parse_model_spec(f"again=replay:orig@{original.run_dir}"))
    journal = original.run_dir / "items.jsonl"
    original_stat = journal.stat()
    data = journal.read_bytes()
    assert b'"response":"s q-1"' in data
    journal.write_bytes(data.replace(b'"response":"s q-1"', b'"response":"s q-X"'))  # same length, same mtime
    os.utime(journal, ns=(original_stat.st_atime_ns, original_stat.st_mtime_ns))

    async def ask() -> None:
        try:
            await adapter.chat(ChatRequest(messages=[{"role": "user", "content": "s q-1"}]))
        finally:
            await adapter.aclose()

    with pytest.raises(UserError, match="changed while it was replayed"):
        asyncio.run(ask())


def _forge(record: dict) -> bytes:
    """A journal line claiming the unit was answered right."""
    forged = {**record, "score": 1.0, "correct": True, "error": None, "response": "other", "error_message": None}
    return orjson.dumps(forged) + b"\n"


def test_a_resume_refuses_lines_added_after_a_session_that_ended(tmp_path):
    down = {"s q-3": "500", "s q-4": "500"}
    with serve(faults=Faults(when=lambda r: down.get(r.prompt))) as srv:
        first = run(tmp_path, [spec(srv.base_url)], [exact_suite("s", 6)], adapter_options={"retries": 0})
        assert first.status == "incomplete"
        journal = first.run_dir / "items.jsonl"
        failed = [r for r in iter_records(first.run_dir) if r["error"]]
        with open(journal, "ab") as f:
            f.write(b"".join(_forge(r) for r in failed))
        problem = verify_journal(first.run_dir)
        assert "follow the part the manifest signed" in problem and "re-run" not in problem
        asked = len(srv.generation_requests())
        with pytest.raises(UserError) as info:
            run(tmp_path, [spec(srv.base_url)], [exact_suite("s", 6)], adapter_options={"retries": 0})
        assert len(srv.generation_requests()) == asked  # nothing asked, nothing signed
    message = str(info.value)
    assert str(journal) in message and "after the last session ended" in message and "\n" not in message
    assert verify_journal(first.run_dir) == problem and read_manifest(first.run_dir)["status"] == "incomplete"


def test_a_resume_keeps_and_signs_the_tail_of_a_session_that_crashed(tmp_path):
    with serve() as srv:
        first = run(tmp_path, [spec(srv.base_url)], [exact_suite("s", 6)])
        journal = first.run_dir / "items.jsonl"
        lines = journal.read_bytes().splitlines(keepends=True)
        # what a SIGKILL between two checkpoints leaves: the manifest of a running session signing 4 lines
        manifest = read_manifest(first.run_dir)
        manifest["status"] = "running"
        for field in ("ended_at", "status", "written", "elapsed_s"):
            manifest["sessions"][-1].pop(field, None)
        manifest["status"] = "running"
        manifest.update(journal_bytes=len(b"".join(lines[:4])),
                        journal_sha256=hashlib.sha256(b"".join(lines[:4])).hexdigest())
        (first.run_dir / "manifest.json").write_bytes(orjson.dumps(manifest))
        assert "re-run its command" in verify_journal(first.run_dir)
        again = run(tmp_path, [spec(srv.base_url)], [exact_suite("s", 6)])
    assert again.status == "complete" and again.written == 0 and verify_journal(first.run_dir) is None
    assert any("crashed or was killed" in w for w in again.warnings)


def test_a_truncated_copy_is_reported_before_anything_is_cut_and_a_torn_unsigned_tail_is_still_repaired(tmp_path):
    with serve() as srv:
        first = run(tmp_path, [spec(srv.base_url)], [exact_suite("s", 6)])
        journal = first.run_dir / "items.jsonl"
        signed = journal.read_bytes()
        truncated = signed[: len(signed) - 100]  # a copy cut short inside the last signed line
        journal.write_bytes(truncated)
        with pytest.raises(UserError, match="100 bytes shorter"):
            run(tmp_path, [spec(srv.base_url)], [exact_suite("s", 6)])
        assert journal.read_bytes() == truncated  # the evidence is left as it was found
        journal.write_bytes(signed + signed[:40])  # a torn line after the signed part: a crash mid-write
        again = run(tmp_path, [spec(srv.base_url)], [exact_suite("s", 6)])
    assert again.written == 0 and journal.read_bytes() == signed
    assert read_manifest(first.run_dir)["sessions"][-1]["repaired_bytes"] == 40


def test_answers_from_another_model_than_requested_are_warned_once_in_the_run_and_manifest(tmp_path):
    with serve(answer=lambda r: Reply(r.prompt, model="Other/Model-7B"), models=()) as srv:
        result = run(tmp_path, [spec(srv.base_url, "a"), spec(srv.base_url, "b", model="gpt-4o")],
                     [exact_suite("s", 4)])
    about = [w for w in result.warnings if "Other/Model-7B" in w]
    assert len(about) == 2 and "'test-model'" in about[0] and "'gpt-4o'" in about[1]
    assert read_manifest(result.run_dir)["warnings"] == result.warnings
    with serve(answer=lambda r: Reply(r.prompt, model="gpt-4o-2024-08-06"), models=()) as srv:  # a dated snapshot
        snapshot = run(tmp_path, [spec(srv.base_url, model="gpt-4o")], [exact_suite("s", 2)])
    assert snapshot.warnings == []


def test_a_served_model_id_full_of_markup_is_warned_as_plain_text(tmp_path):
    from tests.run.test_runner_cli import child, finish

    odd = "[bold]Org/M [link=http://evil.example]x[/link]"  # valid markup: the closing table prints it styled
    with serve(answer=lambda r: Reply(r.prompt, model=odd), models=()) as srv:
        code, out, err = finish(child(2, "run", "--model", f"q=vllm:test-model@{srv.base_url}", "--suites", "default",
                                      "--out", str(tmp_path / "out"), "--run-id", "r", "--quiet"))
    assert code == 0, err
    assert "Traceback" not in err and f"answering as {odd!r}" in " ".join(err.split())


def test_a_lone_surrogate_in_an_answer_is_stored_replaced_and_flagged_not_asked_again_forever(tmp_path):
    def answer(request):
        body = (b'{"id":"x","object":"chat.completion","model":"test-model","choices":[{"index":0,"message":'
                b'{"role":"assistant","content":"' + request.prompt.encode() + b' \\ud800 tail"},"finish_reason":'
                b'"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1}}')
        return Reply(body=body)

    with serve(answer=answer) as srv:
        first = run(tmp_path, [spec(srv.base_url)], [exact_suite("s", 3)], adapter_options={"retries": 0})
        asked = len(srv.generation_requests())
        again = run(tmp_path, [spec(srv.base_url)], [exact_suite("s", 3)], adapter_options={"retries": 0})
    records = list(iter_records(first.run_dir))
    assert first.status == "complete" and {r["error"] for r in records} == {None}
    assert all(r["response"].endswith(" \ufffd tail") and r["invalid_unicode"] is True for r in records)
    assert asked == 3 and again.written == 0 and verify_journal(first.run_dir) is None
