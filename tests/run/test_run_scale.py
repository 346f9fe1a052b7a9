"""Past one event loop and one machine (issue 15 §2, §4): client processes sharing one journal writer,
shards run as separate processes (one SIGKILLed and resumed) and merged, and what merge refuses."""

from __future__ import annotations

import signal
import time

import pytest

from harness.cli import main
from harness.errors import UserError
from harness.run.merge import merge_runs
from harness.run.store import iter_records, read_manifest, verify_journal
from tests.run.test_runner import exact_suite, run, spec
from tests.run.test_runner_cli import child, finish, settled_count, stable, wait_for_lines
from tests.servers import serve


def test_client_processes_journal_every_unit_exactly_once_like_one_process(tmp_path):
    suites = [exact_suite("s", 150), exact_suite("u", 150, category="untargeted", capability="math")]
    with serve(latency_s=0.002) as srv:
        many = run(tmp_path / "many", [spec(srv.base_url, "a"), spec(srv.base_url, "b")], suites, concurrency=16,
                   processes=2, run_id="r")
        one = run(tmp_path / "one", [spec(srv.base_url, "a"), spec(srv.base_url, "b")], suites, concurrency=16,
                  processes=1, run_id="r")
    assert many.processes == 2 and many.status == "complete" and many.written == 600
    assert stable(many.run_dir) == stable(one.run_dir)
    lines = (many.run_dir / "items.jsonl").read_bytes().splitlines()
    assert len(lines) == 600 and verify_journal(many.run_dir) is None
    assert many.rows == one.rows or sorted(r["records"] for r in many.rows) == [150] * 4
    manifest = read_manifest(many.run_dir)
    assert manifest["sessions"][-1]["processes"] == 2 and manifest["counts"]["records"] == 600


def test_processes_are_chosen_automatically_from_the_concurrency_threshold():
    from harness.run.runner import PROCESS_THRESHOLD, RunConfig, client_processes

    suites = [exact_suite("s", 1)]
    low = RunConfig(models=[spec("http://h/v1")], suites=suites, concurrency=PROCESS_THRESHOLD - 1)
    high = RunConfig(models=[spec("http://h/v1")], suites=suites, concurrency=4 * PROCESS_THRESHOLD)
    assert client_processes(low) == 1
    assert client_processes(high) == min(4, __import__("os").cpu_count() or 1)


@pytest.mark.slow
def test_sigkill_of_a_multi_process_run_then_rerun_gives_exactly_the_uninterrupted_records(tmp_path):
    args = ["--suites", "default", "--samples", "2", "--concurrency", "8", "--processes", "2", "--quiet",
            "--run-id", "r"]
    with serve(latency_s=0.01) as srv:
        models = ["--model", f"a=vllm:test-model@{srv.base_url}", "--model", f"b=vllm:test-model@{srv.base_url}"]
        killed = child(100, "run", *models, *args, "--out", str(tmp_path / "killed"))
        wait_for_lines(tmp_path / "killed" / "r" / "items.jsonl", 150, killed)
        killed.send_signal(signal.SIGKILL)
        killed.wait(10)
        before = settled_count(srv, quiet_s=1.0)  # the orphaned clients see their pipe close and stop asking
        time.sleep(0.5)
        assert len(srv.generation_requests()) == before
        n_before = (tmp_path / "killed" / "r" / "items.jsonl").read_bytes().count(b"\n")
        code, _, err = finish(child(100, "run", *models, *args, "--out", str(tmp_path / "killed")))
        assert code == 0, err
        asked = len(srv.generation_requests()) - before
        code, _, err = finish(child(100, "run", *models, *args, "--out", str(tmp_path / "clean")))
        assert code == 0, err
    total = 2 * 2 * 100 * 2
    assert stable(tmp_path / "killed" / "r") == stable(tmp_path / "clean" / "r") and len(stable(tmp_path / "clean" / "r")) == total
    assert asked == total - n_before  # nothing journaled was asked again
    assert verify_journal(tmp_path / "killed" / "r") is None


@pytest.mark.slow
def test_shards_in_separate_processes_one_killed_and_resumed_merge_into_the_unsharded_run(tmp_path, capsys):
    common = ["--suites", "default", "--samples", "2", "--concurrency", "4", "--quiet"]
    with serve(latency_s=0.005) as srv:
        models = ["--model", f"a=vllm:test-model@{srv.base_url}", "--model", f"b=vllm:test-model@{srv.base_url}"]
        out = tmp_path / "shards"
        one = child(120, "run", *models, *common, "--out", str(out), "--shard", "1/2")
        two = child(120, "run", *models, *common, "--out", str(out), "--shard", "2/2")
        deadline = time.monotonic() + 30
        while not list(out.glob("*-shard2of2/items.jsonl")) and time.monotonic() < deadline:
            time.sleep(0.02)
        journal2 = next(out.glob("*-shard2of2/items.jsonl"))
        wait_for_lines(journal2, 60, two)
        two.send_signal(signal.SIGKILL)
        two.wait(10)
        code, _, err = finish(one)
        assert code == 0, err
        assert read_manifest(journal2.parent)["status"] == "running"  # killed: never finished
        code, _, err = finish(child(120, "run", *models, *common, "--out", str(out), "--shard", "2/2"))
        assert code == 0, err
        code, _, err = finish(child(120, "run", *models, *common, "--out", str(tmp_path / "whole")))
        assert code == 0, err
    shard_dirs = sorted(out.glob("*-shard*of2"))
    assert len(shard_dirs) == 2
    with pytest.raises(UserError, match="missing"):
        merge_runs(shard_dirs[:1], tmp_path / "merged")
    with pytest.raises(UserError, match="given twice"):
        merge_runs([shard_dirs[0], shard_dirs[0], shard_dirs[1]], tmp_path / "merged")
    with pytest.raises(SystemExit) as info:
        main(["merge", *map(str, shard_dirs), "--out", str(tmp_path / "merged")])
    assert info.value.code in (0, None), capsys.readouterr()
    whole = next((tmp_path / "whole").iterdir())
    merged = tmp_path / "merged" / whole.name  # the merged run takes the unsharded run's id
    assert stable(merged) == stable(whole) and len(stable(whole)) == 2 * 2 * 120 * 2
    assert verify_journal(merged) is None and read_manifest(merged)["status"] == "complete"
    counts = read_manifest(merged)["counts"]
    assert counts["records"] == counts["expected"] == 2 * 2 * 120 * 2
    sizes = [len(list(iter_records(d))) for d in shard_dirs]
    assert all(s > 0.3 * sum(sizes) for s in sizes)  # the hash split is balanced enough
    # a tampered shard journal is refused
    journal = shard_dirs[0] / "items.jsonl"
    journal.write_bytes(journal.read_bytes()[:-10] + b"0000000000")
    with pytest.raises(UserError, match="no longer matches"):
        merge_runs(shard_dirs, tmp_path / "again")


def test_merge_refuses_shards_of_different_configurations(tmp_path):
    with serve() as srv:
        a = run(tmp_path, [spec(srv.base_url)], [exact_suite("s", 6)], shard=(1, 2))
        b = run(tmp_path, [spec(srv.base_url)], [exact_suite("s", 6)], shard=(2, 2), samples=2)
    with pytest.raises(UserError, match="different configuration"):
        merge_runs([a.run_dir, b.run_dir], tmp_path / "m")
