"""Records that cannot change unnoticed (issue 10 §2): write faults never duplicate or splice a line, a
disk that stays full ends as "interrupted" and resumes, a changed or deleted line is reported (never
re-asked), a run with unanswered units is not "complete", and a refused key trips the breaker."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import threading
from collections import Counter
from pathlib import Path

import orjson
import pytest

from harness.errors import UserError
from harness.run import store
from harness.run.store import iter_records, read_manifest, verify_journal
from tests.run.test_runner import exact_suite, keys, run, spec
from tests.servers import serve


def lines_of(run_dir: Path) -> list[dict]:
    """Every journal line parsed (raises on a spliced or torn line)."""
    return [orjson.loads(line) for line in (run_dir / "items.jsonl").read_bytes().splitlines()]


def test_failed_and_short_writes_are_rolled_back_and_never_duplicate_or_splice_a_line(tmp_path, monkeypatch):
    real = store._write_all
    calls = Counter()

    def flaky(fd, data):  # every other batch: half of it reaches the file, then the disk is full
        calls["n"] += 1
        if calls["n"] % 2:
            os.write(fd, data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd, data)

    monkeypatch.setattr(store, "_write_all", flaky)
    monkeypatch.setattr(store.Journal.__init__, "__kwdefaults__",  # small batches, no waits
                        {"batch": 8, "interval_s": 0.0, "give_up_s": None, "retry_s": 0.0})
    with serve(latency_s=0.002) as srv:
        result = run(tmp_path, [spec(srv.base_url)], [exact_suite("s", 120)], concurrency=8)
    records = lines_of(result.run_dir)
    assert calls["n"] > 10 and result.status == "complete"
    assert sorted(int(r["item_id"]) for r in records) == list(range(120))  # each unit exactly once
    assert any("rolled back" in w for w in result.warnings)
    assert verify_journal(result.run_dir) is None


def _mount_tmpfs(path: Path, size: str) -> None:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to mount a small tmpfs")
    path.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")


def _fill(path: Path) -> None:
    """Fill the file system of `path` to the last byte."""
    with open(path, "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    with open(path, "ab") as f:
        try:
            while True:
                f.write(b"\0")
                f.flush()
        except OSError:
            pass


@pytest.mark.slow
def test_a_disk_full_for_a_moment_and_one_that_stays_full_on_a_real_file_system(tmp_path, monkeypatch):
    disk = tmp_path / "disk"
    _mount_tmpfs(disk, "6m")
    monkeypatch.setenv("ASYMMETRY_JOURNAL_GIVE_UP_S", "1.5")
    try:
        filler = disk / "filler"
        arrivals = Counter()
        lock = threading.Lock()

        def answer(request):
            """Request 150 fills the disk; request 690 frees it (transient). In between, the journal's buffer
            reaches its 512-record batch, so a write surely fails, whatever the machine's speed (a time-based
            window raced with the 0.5 s flush interval)."""
            with lock:
                arrivals["n"] += 1
                n = arrivals["n"]
                if n == 150:
                    _fill(filler)
                if n == 690 and not arrivals["keep_full"]:
                    filler.unlink()
            return request.prompt

        with serve(answer=answer, latency_s=0.003) as srv:
            out = disk / "results"
            result = run(disk, [spec(srv.base_url)], [exact_suite("s", 700)], concurrency=4, run_id="t")
            assert result.status == "complete", result.warnings
            assert any("rolled back" in w for w in result.warnings)
            records = lines_of(out / "t")
            assert sorted(int(r["item_id"]) for r in records) == list(range(700))
            assert verify_journal(out / "t") is None

            # now the disk stays full: a one-line error, the manifest says interrupted, the command resumes
            arrivals.clear()
            arrivals["keep_full"] = 1
            result = run(disk, [spec(srv.base_url)], [exact_suite("s", 700), exact_suite("u", 700)], concurrency=4,
                         run_id="u")
            assert result.status == "interrupted" and result.error and "\n" not in result.error
            assert "re-run the same command" in result.error
            manifest = read_manifest(out / "u")
            assert manifest["status"] == "interrupted" and verify_journal(out / "u") is None
            kept = len(lines_of(out / "u"))
            filler.unlink()
            arrivals["keep_full"] = 1  # no more fills
            arrivals["n"] = 10_000
            again = run(disk, [spec(srv.base_url)], [exact_suite("s", 700), exact_suite("u", 700)], concurrency=4,
                        run_id="u")
        assert again.status == "complete" and again.written == 1400 - kept
        units = keys(out / "u")
        assert len(units) == len(set(units)) == 1400 and len(lines_of(out / "u")) == 1400
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_deleted_or_edited_line_is_reported_on_resume_and_by_verify_never_re_asked(tmp_path):
    with serve() as srv:
        first = run(tmp_path, [spec(srv.base_url)], [exact_suite("s", 6)])
        journal = first.run_dir / "items.jsonl"
        original = journal.read_bytes()
        assert verify_journal(first.run_dir) is None
        journal.write_bytes(b"".join(original.splitlines(keepends=True)[:-2]))  # two lines deleted
        problem = verify_journal(first.run_dir)
        assert problem and "shorter" in problem and "\n" not in problem
        asked = len(srv.generation_requests())
        with pytest.raises(UserError, match="deleted"):
            run(tmp_path, [spec(srv.base_url)], [exact_suite("s", 6)])
        assert len(srv.generation_requests()) == asked  # nothing re-asked
        journal.write_bytes(original.replace(b'"score":1.0', b'"score":0.0', 1))  # one score changed
        assert "no longer matches" in verify_journal(first.run_dir)
        with pytest.raises(UserError, match="changed since the manifest"):
            run(tmp_path, [spec(srv.base_url)], [exact_suite("s", 6)])
        journal.write_bytes(original + original.splitlines(keepends=True)[0])  # a line added by hand
        assert "follow the part the manifest signed" in verify_journal(first.run_dir)
        journal.write_bytes(original)
        again = run(tmp_path, [spec(srv.base_url)], [exact_suite("s", 6)])
    assert again.status == "complete" and again.written == 0 and verify_journal(first.run_dir) is None


def test_a_key_refused_on_every_request_trips_the_breaker_and_the_run_is_not_complete(tmp_path, monkeypatch):
    from harness.run.runner import BREAKER_THRESHOLD

    monkeypatch.setenv("VLLM_API_KEY", "a-wrong-key-of-some-length")
    with serve(api_key="the-right-key") as srv:
        result = run(tmp_path, [spec(srv.base_url)], [exact_suite("s", 200)], concurrency=4)
    journaled = list(iter_records(result.run_dir))
    assert BREAKER_THRESHOLD <= len(journaled) < BREAKER_THRESHOLD + 4
    assert result.status == "incomplete" and result.unanswered == {"m": 200}
    assert any("refuses the credentials" in w or "in a row" in w for w in result.warnings)


def test_a_url_password_together_with_a_key_is_a_one_line_error_that_never_shows_the_password(tmp_path, monkeypatch):
    monkeypatch.setenv("VLLM_API_KEY", "sk-some-provider-key-1234")
    with serve() as srv:
        url = srv.base_url.replace("http://", "http://alice:hunter2secret@")
        with pytest.raises(UserError) as info:
            run(tmp_path, [spec(url)], [exact_suite("s", 3)])
    assert "hunter2secret" not in str(info.value) and "\n" not in str(info.value)
    assert not (tmp_path / "results").exists() or not any((tmp_path / "results").iterdir())
