"""`asymmetry run` as a user runs it, in a subprocess: SIGKILL and re-run gives exactly an uninterrupted
run's records; Ctrl-C keeps what finished and prints a resume command that works; API keys never reach
the run directory or the output, also on failures.

The child process runs the real CLI (`harness.cli.main`) with `harness.suites.build.load_suites` answering
with in-test exact-match suites, so these tests need only the `Suite` contract, not the dataset loaders.
"""

from __future__ import annotations

import os
import secrets
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.run.store import iter_records, read_manifest
from tests.servers import Faults, serve

ROOT = Path(__file__).resolve().parents[2]
SECRET = "sk-" + f"fake-{secrets.token_hex(12)}"  # a fake key, made at run time
STABLE = ("model", "suite", "suite_version", "item_id", "item_hash", "sample", "score", "correct", "error",
          "response", "extracted", "seed", "served_model", "finish_reason")


def child(items: int, *argv: str, env: dict | None = None, **popen) -> subprocess.Popen:
    """`asymmetry ARGV` in a subprocess whose suites are two exact-match suites of `items` items."""
    return subprocess.Popen([sys.executable, "-m", "tests.run.test_runner_cli", str(items), *argv], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})}, **popen)


def finish(proc: subprocess.Popen, timeout: float = 60) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def wait_for_lines(journal: Path, n: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if journal.exists() and journal.read_bytes().count(b"\n") >= n:
            return
        if proc.poll() is not None:
            raise AssertionError(f"the run ended before {n} records: {proc.communicate()}")
        time.sleep(0.02)
    raise AssertionError(f"no {n} records within {timeout}s")


def settled_count(srv, quiet_s: float = 0.3) -> int:
    """The server's generation-request count once it has stopped changing for `quiet_s`."""
    count, since = len(srv.generation_requests()), time.monotonic()
    while time.monotonic() - since < quiet_s:
        time.sleep(0.05)
        now = len(srv.generation_requests())
        if now != count:
            count, since = now, time.monotonic()
    return count


def stable(run_dir: Path) -> list[tuple]:
    return sorted(tuple(str(r.get(k)) for k in STABLE) for r in iter_records(run_dir))


def run_args(url: str, out: Path, *extra: str) -> list[str]:
    return ["run", "--model", f"a=vllm:test-model@{url}", "--model", f"b=vllm:test-model@{url}",
            "--suites", "default", "--samples", "2", "--concurrency", "4", "--out", str(out), "--quiet",
            "--run-id", "r", *extra]


@pytest.mark.slow
def test_sigkill_mid_run_then_rerun_gives_exactly_the_uninterrupted_records(tmp_path):
    with serve(latency_s=0.01) as srv:
        killed = child(100, *run_args(srv.base_url, tmp_path / "killed"))
        journal = tmp_path / "killed" / "r" / "items.jsonl"
        wait_for_lines(journal, 100, killed)
        killed.send_signal(signal.SIGKILL)
        killed.wait(10)
        n_before = journal.read_bytes().count(b"\n")
        with open(journal, "ab") as f:  # make sure the torn-tail path is exercised too
            f.write(b'{"run_id": "r", "model": "a", "suite": "s1", "item_')
        asked_before = settled_count(srv)  # requests the killed process sent may still be in the socket
        code, _, err = finish(child(100, *run_args(srv.base_url, tmp_path / "killed")))
        assert code == 0, err
        asked_total = len(srv.generation_requests())
        code, _, err = finish(child(100, *run_args(srv.base_url, tmp_path / "clean")))
        assert code == 0, err

    total = 2 * 2 * 100 * 2  # models x suites x items x samples
    assert 100 <= n_before < total
    resumed, clean = tmp_path / "killed" / "r", tmp_path / "clean" / "r"
    assert stable(resumed) == stable(clean) and len(stable(clean)) == total
    # only what was not journaled before the kill was asked again (at most the in-flight requests + 1 batch)
    assert asked_total - asked_before == total - n_before
    manifest = read_manifest(resumed)
    assert manifest["status"] == "complete" and manifest["sessions"][-1]["repaired_bytes"] > 0
    assert len(manifest["sessions"]) == 2 and manifest["sessions"][0].get("status") is None  # the killed one


@pytest.mark.slow
def test_ctrl_c_keeps_finished_records_and_prints_a_resume_command_that_works(tmp_path):
    out = tmp_path / "results"
    with serve(latency_s=0.01) as srv:
        proc = child(150, *run_args(srv.base_url, out, "--temperature", "0.5"))
        wait_for_lines(out / "r" / "items.jsonl", 100, proc)
        proc.send_signal(signal.SIGINT)
        code, stdout, err = finish(proc)
        assert code == 130, err
        assert "interrupted" in err and "Resume with:" in err
        command = err.split("Resume with:")[1].strip().splitlines()[0]
        words = shlex.split(command)
        assert words[:2] == ["asymmetry", "run"] and "--temperature" in words and "0.5" in words
        manifest = read_manifest(out / "r")
        kept = len(list(iter_records(out / "r")))
        assert manifest["status"] == "interrupted" and manifest["counts"]["records"] == kept
        code, stdout, err = finish(child(150, *words[1:]))
        assert code == 0, err
    assert read_manifest(out / "r")["status"] == "complete"
    assert len(list(iter_records(out / "r"))) == 1200 and "complete" in stdout


def test_api_keys_never_reach_the_run_directory_or_output(tmp_path):
    env = {"VLLM_API_KEY": SECRET, "ASYMMETRY_TEST_LEAK": "1"}
    def echo_auth(request):  # a server that echoes the key into the answer
        return "I was sent " + request.headers.get("authorization", "")

    faults = Faults(when=lambda r: "500" if r.prompt == "s1 q-1" else None)
    with serve(answer=echo_auth, api_key=SECRET, faults=faults) as srv:
        code, out1, err1 = finish(child(6, *run_args(srv.base_url, tmp_path / "ok", "--retries", "0"), env=env))
        sent = {e.request.headers.get("authorization") for e in srv.generation_requests()}
    assert code == 3 and "incomplete" in err1 and "unanswered" in err1, err1  # the 500s are not "complete"
    assert sent == {f"Bearer {SECRET}"}  # the key was really used
    with serve(api_key="another-key") as srv:  # a refused key: every request fails with 401
        code, out2, err2 = finish(child(6, *run_args(srv.base_url, tmp_path / "refused"), env=env))
    assert code == 3, err2
    refused = list(iter_records(tmp_path / "refused" / "r"))
    assert {r["error"] for r in refused} == {"http_4xx"} and "VLLM_API_KEY" in refused[0]["error_message"]
    ok = list(iter_records(tmp_path / "ok" / "r"))
    assert any("***" in r["response"] for r in ok)  # the echo was masked
    assert {r["error"] for r in ok if r["item_id"] == "1" and r["suite"] == "s1"} == {"http_5xx"}
    assert any(r.get("error_message") for r in ok if r["suite"] == "s2")  # the leaking scorer's message, masked
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    for text in (out1, err1, out2, err2):
        assert SECRET not in text


def _suites(n: int):
    from harness.items import Outcome, Suite
    from harness.models import ChatRequest
    from tests.run.test_runner import exact_suite

    s1, s2 = exact_suite("s1", n), exact_suite("s2", n, category="untargeted", capability="math")
    if os.environ.get("ASYMMETRY_TEST_LEAK"):  # a scorer whose exception carries the key
        async def leaky(item, generate):
            await generate(ChatRequest(messages=[{"role": "user", "content": item.input["q"]}]))
            if item.id == "2":
                raise RuntimeError(f"boom with {os.environ['VLLM_API_KEY']}")
            return Outcome(1.0, True)

        s2 = Suite("s2", "v1", "untargeted", "math", s2.items, leaky)
    return [s1, s2]


if __name__ == "__main__":
    import harness.suites.build
    from harness.cli import main

    items = int(sys.argv[1])
    harness.suites.build.load_suites = lambda names, data_dir=None, *, limit=None, external=None: [  # type: ignore[assignment]
        s if limit is None else type(s)(**{**s.__dict__, "items": s.items[:limit]}) for s in _suites(items)]
    main(sys.argv[2:])
